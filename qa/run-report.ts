import { createReadStream, createWriteStream, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrintError } from '../engine/index.ts';

/** What happened to one record (or page, or golden case) between the reference and the candidate. */
export type EntryStatus = 'same' | 'changed' | 'added' | 'removed';

/** One separate changed region of a page (report.json `changes`). */
export interface Change {
  /** The page in the candidate (the reference's, for a removed record). */
  page: number;
  /** x, y, width, height in mm from the page's top-left corner. */
  boxMm: [number, number, number, number];
  /** The label of the field the region is in (氏名, 住所 …), when the manifest's field map knows it. */
  field?: string;
  /** The field's text in the reference and in the candidate, from the PDFs' text. */
  before?: string;
  after?: string;
}

/** One page of an entry as the report shows it: its images (paths in the report folder) and regions. */
export interface ReportView {
  label: string;
  widthMm: number;
  heightMm: number;
  reference?: string;
  candidate?: string;
  diff?: string;
  diffPixels: number;
  changes: Change[];
}

/** One record, page or golden case. */
export interface ReportEntry {
  key: string;
  /** How a person names it: "record 501 (key …)", "page 3", "kokuho-card / honnin". */
  title: string;
  status: EntryStatus;
  reference?: { record: number; pages: number[] };
  candidate?: { record: number; pages: number[] };
  changes: Change[];
  notes: string[];
  /** Pages to show (none for a same entry). */
  views: ReportView[];
  /** A small picture for the index. */
  thumb?: string;
  /** Golden updates: the golden was (re)written from the candidate. */
  updated?: boolean;
}

/** The counts of report.json. */
export interface ReportSummary {
  same: number;
  changed: number;
  added: number;
  removed: number;
}

/** What the report says at its top. */
export interface ReportHead {
  title: string;
  aligned: 'record' | 'page' | 'case';
  referenceLabel: string;
  candidateLabel: string;
}

const ASSETS = fileURLToPath(new URL('./report-assets/', import.meta.url));
const PER_INDEX_PAGE = 100;

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const mm = (n: number) => n.toFixed(1);
const indexName = (k: number) => (k === 1 ? 'index.html' : `index-${k}.html`);
const detailName = (n: number) => `${String(n).padStart(6, '0')}.html`;

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}

/**
 * A report written as the entries come, so its size never sits in memory: `DIR/report.json` (programs),
 * `DIR/junit.xml` (CI), and HTML for a reviewer, split into files that each open at once: `index.html`
 * and `index-N.html` list 100 entries that are not the same each, with thumbnails; `records/NNNNNN.html`
 * shows one entry's pages side by side, with a slider, blend, flicker, difference and zoom views. Nothing
 * in it asks for anything outside the folder: styles, script and images are files beside it.
 */
export class RunReport {
  private readonly json: WriteStream;
  private readonly junit: WriteStream;
  private readonly summary: ReportSummary = { same: 0, changed: 0, added: 0, removed: 0 };
  private entries = 0;
  private shown = 0;
  /** Rows of the index page being filled, and of the first page (rewritten at the end with the totals). */
  private rows: string[] = [];
  private firstRows: string[] = [];
  private indexPages = 0;
  /** The last entry that is not the same: its page is written when the next one is known. */
  private pending: { n: number; entry: ReportEntry } | undefined;
  private readonly notes: string[] = [];

  constructor(
    readonly dir: string,
    private readonly head: ReportHead,
  ) {
    RunReport.clear(dir);
    mkdirSync(join(dir, 'records'), { recursive: true });
    mkdirSync(join(dir, 'img'), { recursive: true });
    for (const f of ['report.css', 'report.js']) copyFileSync(join(ASSETS, f), join(dir, f));
    this.json = createWriteStream(join(dir, '.records.part'));
    this.junit = createWriteStream(join(dir, '.junit.part'));
  }

  /**
   * Empties `dir` for a new report: a folder that is new, empty or holds an earlier report. Any other
   * folder is refused (BAD_REQUEST), never deleted: `--report .` must not empty a person's folder.
   */
  static clear(dir: string): void {
    RunReport.check(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Throws BAD_REQUEST unless `dir` may take a report (RunReport.clear); before long work starts. */
  static check(dir: string): void {
    if (!existsSync(dir)) return;
    const files = readdirSync(dir);
    if (files.length && !(files.includes('report.js') && files.includes('index.html')))
      throw new PrintError(
        'BAD_REQUEST',
        `--report ${dir} holds other files (${files.slice(0, 3).join(', ')}); give an empty or new folder`,
      );
  }

  /** Where an image of the report goes: `img/NAME`. */
  imagePath(name: string): string {
    return join(this.dir, 'img', name);
  }

  /** A line said at the top of the report. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Adds the next entry, in report order. */
  async add(entry: ReportEntry): Promise<void> {
    this.summary[entry.status]++;
    const { key, status, reference, candidate, changes, notes, updated } = entry;
    const record = {
      key,
      status,
      ...(reference ? { reference } : {}),
      ...(candidate ? { candidate } : {}),
      changes,
      ...(notes.length ? { notes } : {}),
      ...(updated ? { updated } : {}),
    };
    await write(this.json, `${this.entries ? ',\n' : ''}    ${JSON.stringify(record)}`);
    this.entries++;
    const failure =
      status === 'same'
        ? ''
        : `<failure message="${escape(status)}">${escape(
            [...notes, ...changes.map((c) => `page ${c.page}${c.field ? ` ${c.field}` : ''} at ${c.boxMm.map(mm).join(', ')} mm`)].join(
              '\n',
            ),
          )}</failure>`;
    await write(this.junit, `    <testcase classname="${escape(this.head.title)}" name="${escape(entry.title)}">${failure}</testcase>\n`);
    if (status === 'same') return;
    this.shown++;
    if (this.pending) await this.writeDetail(this.pending.n, this.pending.entry, this.shown);
    this.pending = { n: this.shown, entry };
    await this.addRow(this.indexRow(this.shown, entry));
  }

  /** Writes the index's first page, report.json and junit.xml; answers the counts. */
  async finish(): Promise<{ summary: ReportSummary; index: string }> {
    if (this.pending) await this.writeDetail(this.pending.n, this.pending.entry, undefined);
    const pages = Math.max(1, Math.ceil(this.shown / PER_INDEX_PAGE));
    if (this.indexPages > 0 && this.rows.length) await this.writeIndexPage(this.indexPages + 1, this.rows, pages);
    await this.writeIndexPage(1, this.indexPages === 0 ? this.rows : this.firstRows, pages);
    await close(this.json);
    await close(this.junit);
    const json = createWriteStream(join(this.dir, 'report.json'));
    await write(
      json,
      `{\n  "aligned": ${JSON.stringify(this.head.aligned)},\n  "summary": ${JSON.stringify(this.summary)},\n${
        this.notes.length ? `  "notes": ${JSON.stringify(this.notes)},\n` : ''
      }  "records": [\n`,
    );
    await pipeline(createReadStream(join(this.dir, '.records.part')), json, { end: false });
    await write(json, `\n  ]\n}\n`);
    await close(json);
    const failures = this.summary.changed + this.summary.added + this.summary.removed;
    const junit = createWriteStream(join(this.dir, 'junit.xml'));
    await write(
      junit,
      `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escape(this.head.title)}" tests="${this.entries}" failures="${failures}">\n  <testsuite name="${escape(this.head.title)}" tests="${this.entries}" failures="${failures}">\n`,
    );
    await pipeline(createReadStream(join(this.dir, '.junit.part')), junit, { end: false });
    await write(junit, '  </testsuite>\n</testsuites>\n');
    await close(junit);
    rmSync(join(this.dir, '.records.part'));
    rmSync(join(this.dir, '.junit.part'));
    return { summary: { ...this.summary }, index: join(this.dir, 'index.html') };
  }

  private async addRow(row: string): Promise<void> {
    this.rows.push(row);
    if (this.rows.length < PER_INDEX_PAGE) return;
    // A full page: the first waits for the totals; later ones are written when the next row exists.
    this.indexPages++;
    if (this.indexPages === 1) this.firstRows = this.rows;
    else await this.writeIndexPage(this.indexPages, this.rows, undefined);
    this.rows = [];
  }

  private indexRow(n: number, e: ReportEntry): string {
    const what = e.changes.length
      ? e.changes.map((c) => escape(c.field ?? `region at ${mm(c.boxMm[0])}, ${mm(c.boxMm[1])} mm`)).join(', ')
      : escape(e.notes[0] ?? '');
    const thumb = e.thumb ? `<img src="img/${escape(e.thumb)}" alt="" loading="lazy">` : '';
    return `<tr class="entry ${e.status}" data-status="${e.status}"><td class="thumb"><a href="records/${detailName(n)}">${thumb}</a></td><td><a href="records/${detailName(n)}">${escape(e.title)}</a></td><td class="status">${e.status}${e.updated ? ' (written)' : ''}</td><td>${what}</td></tr>`;
  }

  private async writeIndexPage(k: number, rows: string[], total: number | undefined): Promise<void> {
    const nav = [
      k > 1 ? `<a rel="prev" href="${indexName(k - 1)}">← previous 100</a>` : '',
      total === undefined || k < total ? `<a rel="next" href="${indexName(k + 1)}">next 100 →</a>` : '',
    ].join(' ');
    const s = this.summary;
    const body = `<h1>${escape(this.head.title)}</h1>
<p class="verdict ${s.changed + s.added + s.removed ? 'bad' : 'ok'}">${s.changed + s.added + s.removed ? 'differences found' : 'all the same'}</p>
<p>reference: ${escape(this.head.referenceLabel)}<br>candidate: ${escape(this.head.candidateLabel)}<br>aligned by ${this.head.aligned}</p>
${k === 1 ? `<p class="summary">${s.same} same · ${s.changed} changed · ${s.added} added · ${s.removed} removed</p>${this.notes.map((n) => `<p class="note">${escape(n)}</p>`).join('')}` : ''}
<form class="filters" aria-label="filter by status">${(['changed', 'added', 'removed'] as const)
      .map((st) => `<label><input type="checkbox" name="${st}" checked> ${st}</label>`)
      .join(' ')}</form>
<p class="keys">keys: j / k next / previous row · Enter open · n / p next / previous page of the list</p>
<table class="index"><thead><tr><th></th><th>record</th><th>status</th><th>what changed</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<nav>${nav}</nav>`;
    await writeHtml(join(this.dir, indexName(k)), this.head.title, body, '');
  }

  private async writeDetail(n: number, e: ReportEntry, next: number | undefined): Promise<void> {
    const nav = [
      n > 1 ? `<a rel="prev" href="${detailName(n - 1)}">← previous</a>` : '',
      `<a rel="index" href="../${indexName(Math.ceil(n / PER_INDEX_PAGE))}">list</a>`,
      next !== undefined ? `<a rel="next" href="${detailName(next)}">next →</a>` : '',
    ].join(' ');
    const side = (label: string, r?: { record: number; pages: number[] }) =>
      r
        ? `${label}: record ${r.record}, page${r.pages[0] === r.pages.at(-1) ? '' : 's'} ${[...new Set(r.pages)].join('–')}`
        : `${label}: none`;
    const changeRows = e.changes
      .map(
        (c, i) =>
          `<tr><td>${c.page}</td><td>${escape(c.field ?? '')}</td><td class="text">${escape(c.before ?? '')}</td><td class="text">${escape(c.after ?? '')}</td><td><button type="button" data-zoom="${i}">${c.boxMm.map(mm).join(', ')} mm</button></td></tr>`,
      )
      .join('\n');
    const views = e.views.map((v) => viewHtml(v, e.changes)).join('\n');
    const body = `<nav>${nav}</nav>
<h1>${escape(e.title)}: <span class="${e.status}">${e.status}${e.updated ? ' (golden written)' : ''}</span></h1>
${e.reference || e.candidate ? `<p>${escape(side(this.head.referenceLabel, e.reference))}<br>${escape(side(this.head.candidateLabel, e.candidate))}</p>` : ''}
${e.notes.map((t) => `<p class="note">${escape(t)}</p>`).join('\n')}
${e.changes.length ? `<table class="changes"><thead><tr><th>page</th><th>field</th><th>before</th><th>after</th><th>region (x, y, w, h)</th></tr></thead><tbody>${changeRows}</tbody></table>` : ''}
<p class="keys">keys: 1 side by side · 2 slider · 3 blend · 4 flicker · 5 difference · z zoom to the next region · 0 whole page · ← / → previous / next · Esc list</p>
${views}`;
    await writeHtml(join(this.dir, 'records', detailName(n)), `${e.title}: ${e.status}`, body, '../');
  }
}

function viewHtml(v: ReportView, all: readonly Change[]): string {
  const boxes = v.changes
    .map((c) => {
      const [x, y, w, h] = c.boxMm;
      const pct = (a: number, b: number) => ((a / b) * 100).toFixed(3);
      return `<div class="box" data-change="${all.indexOf(c)}" data-box="${pct(x, v.widthMm)},${pct(y, v.heightMm)},${pct(w, v.widthMm)},${pct(h, v.heightMm)}" title="${escape(c.field ?? 'changed region')}"></div>`;
    })
    .join('');
  const figure = (cls: string, src: string | undefined, caption: string) =>
    src
      ? `<figure class="${cls}"><figcaption>${caption}</figcaption><div class="pic"><img src="../img/${escape(src)}" alt="${caption}">${boxes}</div></figure>`
      : '';
  const both = v.reference !== undefined && v.candidate !== undefined;
  return `<section class="view ${both ? 'mode-side' : 'mode-single'}" data-aspect="${v.widthMm} / ${v.heightMm}">
<h2>${escape(v.label)}${v.diffPixels ? `: ${v.diffPixels} differing pixels` : ''}</h2>
${both ? `<div class="tools" role="toolbar"><button type="button" data-mode="side">1 side by side</button><button type="button" data-mode="slider">2 slider</button><button type="button" data-mode="blend">3 blend</button><button type="button" data-mode="flicker">4 flicker</button><button type="button" data-mode="diff">5 difference</button> <input type="range" min="0" max="100" value="50" aria-label="reference to candidate"></div>` : ''}
<div class="frame"><div class="stage">
${figure('ref', v.reference, 'reference')}${figure('cand', v.candidate, 'candidate')}${figure('diff', v.diff, 'difference')}
</div></div>
</section>`;
}

async function writeHtml(path: string, title: string, body: string, root: string): Promise<void> {
  const out = createWriteStream(path);
  await write(
    out,
    `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'">
<title>${escape(title)}</title><link rel="stylesheet" href="${root}report.css"></head>
<body>
${body}
<script src="${root}report.js"></script>
</body></html>
`,
  );
  await close(out);
}
