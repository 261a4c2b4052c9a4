import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./page-content-script.js', import.meta.url));

/**
 * A hash of what draws each page `first`..`last` of a PDF, by page number: equal hashes, equal pages,
 * whatever the objects are numbered and whatever tag a font subset carries, so two pages whose hashes are
 * equal need not be rasterized to be called the same. It covers the page's boxes and rotation, its content
 * streams (decoded) and every resource they use, followed to the bytes (font programs, images, forms).
 * Read by MuPDF's `mutool run` (qa/page-content-script.js), which loads objects from the file as they are
 * needed: memory stays that of one batch, whatever the length of the proof. `dir` is a scratch folder.
 */
export async function pageContentHashes(pdf: string, first: number, last: number, dir: string): Promise<Map<number, string>> {
  const streams = await mkdtemp(join(dir, 'content-'));
  try {
    let stdout: string;
    try {
      ({ stdout } = await run('mutool', ['run', SCRIPT, pdf, String(first), String(last), streams], {
        encoding: 'utf8',
        maxBuffer: 256 * 2 ** 20,
      }));
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new Error(
        e.code === 'ENOENT'
          ? 'mutool not found: run `npm run setup` (apt-get install mupdf-tools)'
          : `mutool could not read the pages of ${pdf}: ${e.stderr ?? e.message}`,
      );
    }
    const streamHashes = new Map<string, string>();
    const streamHash = async (n: string): Promise<string> => {
      let h = streamHashes.get(n);
      if (h === undefined) {
        h = createHash('sha256')
          .update(await readFile(join(streams, n)))
          .digest('hex');
        streamHashes.set(n, h);
      }
      return h;
    };
    const out = new Map<number, string>();
    for (const line of stdout.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const text = line.slice(tab + 1);
      const hash = createHash('sha256');
      // Each stream is written `S<n>` followed by its dictionary: its number gives way to its bytes' hash.
      let at = 0;
      for (const m of text.matchAll(/S(\d+)<</g)) {
        hash.update(text.slice(at, m.index));
        hash.update(`S{${await streamHash(m[1] as string)}}<<`);
        at = m.index + m[0].length;
      }
      hash.update(text.slice(at));
      out.set(Number(line.slice(0, tab)), hash.digest('hex'));
    }
    for (let p = first; p <= last; p++) if (!out.has(p)) throw new Error(`mutool did not read page ${p} of ${pdf}`);
    return out;
  } finally {
    await rm(streams, { recursive: true, force: true });
  }
}

/** Pages read by one `mutool run`: its start, and finding a late page of a long proof, once per span. */
const SPAN_PAGES = 480;
/** Spans kept: the batches in flight (a few, one per core) stand in at most two spans of each proof. */
const SPANS_KEPT = 8;

/**
 * The page content hashes of one PDF, for a diff that asks for them batch by batch, in about page order:
 * read a span of SPAN_PAGES pages at a time (one process for twenty batches: starting mutool and finding
 * the span's first page cost more than reading its 24 pages) and kept for the last SPANS_KEPT spans, so
 * memory stays a few thousand hashes whatever the length of the proof. A span asked for again after it was
 * let go is read again.
 */
export class PageContents {
  private readonly spans = new Map<number, Promise<Map<number, string>>>();

  constructor(
    private readonly pdf: string,
    private readonly pageCount: number,
    private readonly dir: string,
  ) {}

  /** The hash of page `page` (from 1), as pageContentHashes gives it. */
  async hash(page: number): Promise<string> {
    const k = Math.floor((page - 1) / SPAN_PAGES);
    let span = this.spans.get(k);
    if (!span) {
      span = pageContentHashes(this.pdf, k * SPAN_PAGES + 1, Math.min(this.pageCount, (k + 1) * SPAN_PAGES), this.dir);
      this.spans.set(k, span);
      for (const oldest of this.spans.keys()) {
        if (this.spans.size <= SPANS_KEPT) break;
        this.spans.delete(oldest);
      }
    }
    const hash = (await span).get(page);
    if (hash === undefined) throw new Error(`${this.pdf} has no page ${page}`);
    return hash;
  }
}
