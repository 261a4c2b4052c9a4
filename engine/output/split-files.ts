import { setImmediate as nextTurn } from 'node:timers/promises';
import { ZipFile } from 'yazl';
import { PrintError } from '../errors.ts';
import { loadChunk, PdfWriter, pagePlan, type ChunkPdf, type PageSizeMm, type PdfSink } from '../pdf/pdf-writer.ts';
import { chunkPages, type OutputTarget, type RecordOutput, type Split, type TargetSummary } from './target.ts';

/** What a split output needs besides the layout's page: its grouping, names and file dates. */
export interface SplitOptions {
  split: Split;
  bleedMm: number;
  /** The record's key (record-key.ts) by its 0-based output position: the file's name with `record`. */
  keyOf: (position: number) => string | undefined;
  /** Title of every file (the layout's name). */
  title: string;
  /** Subject of every file (the render's name: a job's id). Never the key: metadata is indexed widely. */
  subject: string;
  /** The date the ZIP gives its files (the job's), so equal input gives equal archives. */
  modified: Date;
}

/** Bytes of ZIP data handed to yazl and not yet written out, above which adding waits. */
const BACKLOG_BYTES = 8 * 2 ** 20;

/**
 * Split output: the trim pages of every record, one PDF per record (`split=record`, named by the record's
 * key) or per N records (`split=N`, `part-0001.pdf` …), streamed as a ZIP archive into the sink (ZIP64 past
 * 65,535 files or 4 GB, by yazl). Files are finished and written as the chunks come, so a 300,000-letter
 * run holds one chunk and one file in memory. PDFs are stored, not deflated: their streams are compressed
 * already. Each record in the summary names its file and its pages in that file.
 */
export class SplitFiles implements OutputTarget {
  private readonly zip = new ZipFile();
  private readonly records: RecordOutput[] = [];
  private readonly names = new Set<string>();
  private readonly ended: Promise<void>;
  private current: { id: number; name: string; writer: PdfWriter; parts: Uint8Array[] } | undefined;
  private pages = 0;
  private lastPosition = -1;
  private total = 0;
  private queued = 0;
  private written = 0;
  private failure: Error | undefined;

  constructor(
    sink: PdfSink,
    private readonly page: PageSizeMm,
    private readonly sides: number,
    private readonly o: SplitOptions,
  ) {
    this.zip.outputStream.on('data', (bytes: Uint8Array) => {
      sink(bytes);
      this.written += bytes.length;
    });
    this.ended = new Promise((resolve, reject) => {
      this.zip.outputStream.on('end', resolve);
      this.zip.outputStream.on('error', reject);
      this.zip.on('error', (err: Error) => {
        this.failure = err;
        reject(err);
      });
    });
    this.ended.catch(() => undefined); // seen by finish() or by the next add()
  }

  printOrder(n: number): number[] {
    this.total = n;
    return Array.from({ length: n }, (_, i) => i);
  }

  async add(pdf: ChunkPdf, records: readonly number[], pages?: readonly number[]): Promise<void> {
    if (this.failure) throw this.failure;
    const src = await loadChunk(pdf);
    const plan = pagePlan(src, chunkPages(records.length, this.sides, pages));
    // Records of one file that follow each other in the chunk are copied together: their fonts once.
    let k = 0;
    while (k < records.length) {
      const file = this.fileOf(records[k] as number);
      let end = k + 1;
      while (end < records.length && this.fileOf(records[end] as number) === file) end++;
      const out = this.open(file, records[k] as number);
      for (let r = k; r < end; r++) {
        const position = records[r] as number;
        if (position <= this.lastPosition) {
          throw new PrintError('RENDER', `split output takes records in order: record ${position + 1} came after ${this.lastPosition + 1}`);
        }
        this.lastPosition = position;
        const first = out.writer.pageCount + (r - k) * this.sides;
        this.records.push({ record: position + 1, firstPage: first + 1, lastPage: first + this.sides, file: out.name });
      }
      out.writer.addPages(src, plan.slice(k * this.sides, end * this.sides));
      k = end;
    }
    await this.drain();
  }

  async finish(): Promise<TargetSummary> {
    this.close();
    this.zip.end();
    await this.ended;
    return { pageCount: this.pages, records: this.records };
  }

  private fileOf(position: number): number {
    return this.o.split === 'record' ? position : Math.floor(position / this.o.split);
  }

  /** The file `id` is written to, opened when its first record comes (the one before it is then whole). */
  private open(id: number, position: number): NonNullable<SplitFiles['current']> {
    if (this.current?.id === id) return this.current;
    this.close();
    const parts: Uint8Array[] = [];
    const name = this.nameOf(id, position);
    this.current = {
      id,
      name,
      parts,
      writer: new PdfWriter((b) => parts.push(b), this.page, { bleedMm: this.o.bleedMm, ownGlyphs: true }),
    };
    return this.current;
  }

  /** Finishes the open file and adds it to the archive. */
  private close(): void {
    const file = this.current;
    if (!file) return;
    this.current = undefined;
    file.writer.finish({ title: this.o.title, subject: this.o.subject });
    this.pages += file.writer.pageCount;
    const bytes = Buffer.concat(file.parts);
    this.zip.addBuffer(bytes, file.name, { compress: false, mtime: this.o.modified, mode: 0o100644 });
    this.queued += bytes.length;
  }

  /** A file name that is safe on any system, once in the archive. */
  private nameOf(id: number, position: number): string {
    const base =
      this.o.split === 'record'
        ? safeName(this.o.keyOf(position) ?? '') || `record-${position + 1}`
        : `part-${String(id + 1).padStart(Math.max(4, String(Math.ceil(this.total / this.o.split)).length), '0')}`;
    // Unique whatever the case: on Windows and macOS `AB.pdf` and `ab.pdf` would be one file.
    let name = `${base}.pdf`;
    for (let n = 2; this.names.has(name.toLowerCase()); n++) name = `${base}~${n}.pdf`;
    this.names.add(name.toLowerCase());
    return name;
  }

  /** Waits while more than BACKLOG_BYTES handed to the archive are not written out yet. */
  private async drain(): Promise<void> {
    while (this.queued - this.written > BACKLOG_BYTES && !this.failure) await nextTurn();
    if (this.failure) throw this.failure;
  }
}

/** Characters no file name may hold on some system: path separators and what Windows refuses. */
const UNSAFE = new Set('/\\:*?"<>|');

/**
 * Names Windows keeps for devices: `NUL.x.pdf` opens the null device there, whatever follows the first dot
 * and with spaces before it, in any case; COM and LPT with a superscript digit too (Microsoft, "Naming Files,
 * Paths, and Namespaces"). Tested on the part before the first dot.
 */
const DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *$/i;

/**
 * A key as a file name: no path separators, no characters Windows refuses, no control characters, no
 * leading or trailing dots and spaces; a device name gets a `_` before it (`_NUL.x`), so a name is always
 * the same for the same key. Two keys that come out alike are told apart by the archive (nameOf).
 */
export function safeName(key: string): string {
  const chars = [...key].map((c) => (UNSAFE.has(c) || (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f' ? '_' : c));
  const name = chars
    .slice(0, 120)
    .join('')
    .replace(/^[.\s]+|[.\s]+$/g, '');
  return DEVICE.test(name.split('.')[0] ?? '') ? `_${name}` : name;
}
