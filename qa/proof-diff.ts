import { rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { compareImages, VISIBLE, VISIBLE_TONE_LEVELS } from './compare.ts';
import { alignByPage, alignByRecord, type Pairing } from './align.ts';
import { batchesOf, pagesOf, type Batch } from './batches.ts';
import { applyMasks, type Mask } from './masks.ts';
import { changedRegions } from './regions.ts';
import { pageWords, textIn, type Word } from './page-words.ts';
import { PageContents } from './page-content.ts';
import { openProof, rasterPages, type PageImage, type Proof, type Rasterizer } from './proofs.ts';
import { RunReport, type Change, type ReportEntry, type ReportSummary, type ReportView } from './run-report.ts';
import { forEachLimited, makeOwnedTempDir, sweepOrphans, type FieldMapSide } from '../engine/index.ts';

/** How a diff runs. */
export interface DiffOptions {
  dpi: number;
  masks: readonly Mask[];
  /** Where the report goes (replaced). */
  reportDir: string;
  /** The two manifests, when not beside the proofs. */
  manifests?: readonly [string, string] | undefined;
  /** Batches rasterized at once: every core when left out. */
  concurrency?: number | undefined;
  /** Called after each batch with the records (or pages) done and their total. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /**
   * Called with each line for the terminal as it is known: first the notes (counts, how the proofs are
   * aligned), then, in report order, one for each entry that is not the same (never a field's value).
   */
  onLine?: ((line: string) => void) | undefined;
}

/** How the pages of both proofs were found the same or not: by content, by pixels, below the threshold. */
export interface PageCounts {
  /** Pages (of both proofs) found the same by their PDF content, never rasterized. */
  sameByContent: number;
  /** Pages (of both proofs) rasterized. */
  rasterized: number;
  /** Pairs of pages whose pixels differ, but none by more than VISIBLE_TONE_LEVELS: the same. */
  belowThreshold: number;
}

/** The outcome: how the proofs were aligned, the counts, and where the report is. */
export interface DiffOutcome {
  aligned: 'record' | 'page';
  summary: ReportSummary;
  pages: PageCounts;
  index: string;
}

/** A changed region's cells: 1 mm; regions closer than one cell join. */
const CELL_MM = 1;
/** A field box is widened by this on each side when gathering its changed pixels (anti-aliased edges). */
const FIELD_MARGIN_MM = 0.3;

/** A page's size in mm from its pixels. */
const sizeMm = (img: PageImage, dpi: number): [number, number] => [(img.width / dpi) * 25.4, (img.height / dpi) * 25.4];

function toRgba(img: PageImage): { width: number; height: number; data: Uint8Array } {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    out[j] = img.data[i] as number;
    out[j + 1] = img.data[i + 1] as number;
    out[j + 2] = img.data[i + 2] as number;
    out[j + 3] = 255;
  }
  return { width: img.width, height: img.height, data: out };
}

/**
 * Diffs two proofs (PDFs, PNG pages or folders of them) and writes the report as it goes: records are
 * matched by key when both proofs have manifests with keys (else pages by position, which the report
 * says), batch by batch by a pool using every core. Content before pixels: pages whose PDF content is
 * equal (qa/page-content.ts) are the same without being rasterized; the others are rasterized and
 * compared pixel for pixel, a pixel counting as changed when it differs by more than the eye can see
 * (compare.ts, VISIBLE: 2 grey levels); each separate changed region is named by the field it is in when
 * the manifest's field map knows it, with the field's text before and after. Memory stays bounded whatever
 * the page count: a batch's pages are read one at a time and the report is streamed to its files.
 */
export async function diffProofs(referencePath: string, candidatePath: string, options: DiffOptions): Promise<DiffOutcome> {
  const ref = await openProof(referencePath, options.manifests?.[0]);
  const cand = await openProof(candidatePath, options.manifests?.[1]);
  const byRecord = ref.manifest !== undefined && cand.manifest !== undefined;
  const notes: string[] = [
    `reference ${referencePath}: ${ref.pageCount} page(s); candidate ${candidatePath}: ${cand.pageCount} page(s); ${options.dpi} dpi.`,
  ];
  if (byRecord)
    notes.push(
      `Aligned by record: ${ref.manifest?.records.length} reference and ${cand.manifest?.records.length} candidate records matched by key.`,
    );
  else {
    const why = [ref, cand].map((p) => p.manifestNote ?? (p.manifest ? undefined : `${p.path} has no manifest beside it`)).filter(Boolean);
    notes.push(`Aligned by page order, not by record: ${why.join('; ')}. One record added or removed shifts every later page.`);
    if (ref.pageCount !== cand.pageCount) notes.push(`Page count differs: reference has ${ref.pageCount}, candidate ${cand.pageCount}.`);
  }
  const pairings = byRecord
    ? alignByRecord(ref.manifest?.records ?? [], cand.manifest?.records ?? [])
    : alignByPage(ref.pageCount, cand.pageCount);
  const rasterizer: Rasterizer = ref.kind === 'pdf' && cand.kind === 'pdf' ? 'mupdf' : 'poppler';
  const report = new RunReport(options.reportDir, {
    title: 'shikaku-print diff',
    aligned: byRecord ? 'record' : 'page',
    referenceLabel: `reference ${referencePath}`,
    candidateLabel: `candidate ${candidatePath}`,
  });
  for (const n of notes) {
    report.note(n);
    options.onLine?.(n);
  }
  // The pages are people's cards: their folder is named for this process, so that if it is killed the next
  // diff or engine start removes what it left.
  sweepOrphans();
  const work = makeOwnedTempDir('diff');
  const pages: PageCounts = { sameByContent: 0, rasterized: 0, belowThreshold: 0 };
  try {
    const batches = batchesOf(pairings);
    // Content before pixels, when both proofs are PDFs (sameByContent).
    const contents =
      ref.kind === 'pdf' && cand.kind === 'pdf'
        ? ([new PageContents(ref.path, ref.pageCount, work), new PageContents(cand.path, cand.pageCount, work)] as const)
        : undefined;
    const ctx: Context = { ref, cand, dpi: options.dpi, masks: options.masks, report, rasterizer, byRecord, work, pages, contents };
    // Batches run in parallel; their entries are added to the report in order, each as soon as every
    // batch before it is in.
    const done = new Map<number, ReportEntry[]>();
    let next = 0;
    let records = 0;
    let flushing = Promise.resolve();
    const flush = async () => {
      for (let entries = done.get(next); entries; entries = done.get(next)) {
        done.delete(next++);
        for (const e of entries) {
          await report.add(e);
          if (e.status !== 'same') options.onLine?.(describe(e));
        }
        records += entries.length;
        options.onProgress?.(records, pairings.length);
      }
    };
    await forEachLimited(batches, options.concurrency ?? availableParallelism(), async (b, i) => {
      done.set(i, await compareBatch(b, i, ctx));
      flushing = flushing.then(flush);
      await flushing;
    });
    await flushing;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  report.note(pagesNote(pages));
  const { summary, index } = await report.finish();
  return { aligned: byRecord ? 'record' : 'page', summary, pages, index };
}

interface Context {
  ref: Proof;
  cand: Proof;
  dpi: number;
  masks: readonly Mask[];
  report: RunReport;
  rasterizer: Rasterizer;
  byRecord: boolean;
  work: string;
  pages: PageCounts;
  /** The reference's and the candidate's page contents, when both are PDFs. */
  contents: readonly [PageContents, PageContents] | undefined;
}

/** What the report says of how its pages were compared. */
export function pagesNote(p: PageCounts): string {
  return (
    `${p.sameByContent} page(s) the same by their PDF content, not rasterized; ${p.rasterized} rasterized` +
    (p.belowThreshold
      ? `; ${p.belowThreshold} pair(s) of pages differ by at most ${VISIBLE_TONE_LEVELS} grey levels a pixel, which no eye sees on paper: the same.`
      : '.')
  );
}

/** One line for the terminal: no field values (the terminal's output ends up in logs). */
function describe(e: ReportEntry): string {
  const where = e.changes
    .map(
      (c) =>
        `${c.field ?? 'region'} at x ${c.boxMm[0].toFixed(1)} mm, y ${c.boxMm[1].toFixed(1)} mm (${c.boxMm[2].toFixed(1)} × ${c.boxMm[3].toFixed(1)} mm)`,
    )
    .join('; ');
  return `${e.status.toUpperCase()} ${e.title}${where ? `: ${where}` : ''}${e.notes.length ? ` (${e.notes.join(' ')})` : ''}`;
}

async function compareBatch(batch: Batch, index: number, ctx: Context): Promise<ReportEntry[]> {
  const dir = await mkdtemp(join(ctx.work, `b${index}-`));
  try {
    const refDir = join(dir, 'ref');
    const candDir = join(dir, 'cand');
    await Promise.all([mkdir(refDir), mkdir(candDir)]);
    const same = await sameByContent(batch, ctx);
    const toRaster = (side: 'reference' | 'candidate') => batch.items.filter((p) => !same.has(p)).flatMap((p) => pagesOf(p[side]));
    const refPages = toRaster('reference');
    const candPages = toRaster('candidate');
    ctx.pages.sameByContent += [...same].reduce((n, p) => n + pagesOf(p.reference).length + pagesOf(p.candidate).length, 0);
    ctx.pages.rasterized += refPages.length + candPages.length;
    const readRef = refPages.length ? await rasterPages(ctx.ref, refPages, ctx.dpi, refDir, ctx.rasterizer) : undefined;
    const readCand = candPages.length ? await rasterPages(ctx.cand, candPages, ctx.dpi, candDir, ctx.rasterizer) : undefined;
    const out: ReportEntry[] = [];
    for (const p of batch.items) out.push(await compareOne(p, ctx, same.has(p) ? undefined : { readRef, readCand }));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Reader = ((page: number) => Promise<PageImage>) | undefined;

/**
 * The pairings of a batch whose pages are the same by content (qa/page-content.ts): as many pages on both
 * sides, each equal to its counterpart. Only when both proofs are PDFs; their pixels need not be looked at.
 */
async function sameByContent(batch: Batch, ctx: Context): Promise<Set<Pairing>> {
  const same = new Set<Pairing>();
  if (!ctx.contents) return same;
  const [refContents, candContents] = ctx.contents;
  for (const p of batch.items) {
    const rp = pagesOf(p.reference);
    const cp = pagesOf(p.candidate);
    if (rp.length === 0 || rp.length !== cp.length) continue;
    let equal = true;
    // One process at a time, as a batch's rasterizing is (--jobs).
    for (let i = 0; i < rp.length && equal; i++)
      equal = (await refContents.hash(rp[i] as number)) === (await candContents.hash(cp[i] as number));
    if (equal) same.add(p);
  }
  return same;
}

/**
 * One record (or page) of both proofs, or of one; `pixels` undefined when its pages are the same by
 * content (nothing to look at).
 */
async function compareOne(p: Pairing, ctx: Context, pixels: { readRef: Reader; readCand: Reader } | undefined): Promise<ReportEntry> {
  const refPages = pagesOf(p.reference);
  const candPages = pagesOf(p.candidate);
  const slug = `${ctx.byRecord ? 'r' : 'p'}${p.candidate?.record ?? `x${p.reference?.record}`}`;
  const title = ctx.byRecord
    ? p.candidate
      ? `record ${p.candidate.record}${p.reference && p.reference.record !== p.candidate.record ? ` (reference record ${p.reference.record})` : ''}`
      : `reference record ${p.reference?.record}`
    : `page ${p.key}`;
  const entry: ReportEntry = {
    key: p.key,
    title,
    status: !p.reference ? 'added' : !p.candidate ? 'removed' : 'same',
    ...(p.reference ? { reference: { record: p.reference.record, pages: refPages } } : {}),
    ...(p.candidate ? { candidate: { record: p.candidate.record, pages: candPages } } : {}),
    changes: [],
    notes: [],
    views: [],
  };
  if (p.reference && !p.reference.pages) entry.notes.push('rejected in the reference: nothing printed');
  if (p.candidate && !p.candidate.pages) entry.notes.push('rejected in the candidate: nothing printed');
  if (p.reference && p.candidate && refPages.length !== candPages.length)
    entry.notes.push(`${refPages.length} page(s) in the reference, ${candPages.length} in the candidate`);
  if (!pixels) return entry;
  const { readRef, readCand } = pixels;
  const fieldMap = ctx.cand.manifest?.fieldMap ?? ctx.ref.manifest?.fieldMap;
  for (let i = 0; i < Math.max(refPages.length, candPages.length); i++) {
    const rp = refPages[i];
    const cp = candPages[i];
    const refImg = rp !== undefined && readRef ? await readRef(rp) : undefined;
    const candImg = cp !== undefined && readCand ? await readCand(cp) : undefined;
    const label = `page ${i + 1}${ctx.byRecord ? ` of the record (${[rp && `reference page ${rp}`, cp && `candidate page ${cp}`].filter(Boolean).join(', ')})` : ''}`;
    if (refImg) applyMasks(refImg, ctx.masks, cp ?? rp ?? 0, ctx.dpi);
    if (candImg) applyMasks(candImg, ctx.masks, cp ?? rp ?? 0, ctx.dpi);
    const sameSize = refImg && candImg && refImg.width === candImg.width && refImg.height === candImg.height;
    if (sameSize && refImg.data.equals(candImg.data)) continue;
    // Pixels differ: they are a change only where they differ by more than the eye can see (compare.ts, VISIBLE).
    const c = sameSize ? compareImages(toRgba(refImg), toRgba(candImg), VISIBLE) : undefined;
    if (c && c.diffPixels === 0) {
      ctx.pages.belowThreshold++;
      continue;
    }
    // Something differs: this page is shown.
    const img = refImg ?? candImg;
    if (!img) continue;
    const [widthMm, heightMm] = sizeMm(candImg ?? img, ctx.dpi);
    const name = `${slug}-${i + 1}`;
    const view: ReportView = { label, widthMm, heightMm, diffPixels: 0, changes: [] };
    if (refImg) view.reference = await writePng(ctx.report, `${name}-ref.png`, refImg);
    if (candImg) view.candidate = await writePng(ctx.report, `${name}-cand.png`, candImg);
    entry.thumb ??= await writeThumb(ctx.report, `${name}-thumb.png`, candImg ?? img);
    if (refImg && candImg) {
      if (entry.status === 'same') entry.status = 'changed';
      if (refImg.width !== candImg.width || refImg.height !== candImg.height) {
        const [rw, rh] = sizeMm(refImg, ctx.dpi);
        entry.notes.push(
          `${label}: page size differs, reference ${rw.toFixed(1)} × ${rh.toFixed(1)} mm, candidate ${widthMm.toFixed(1)} × ${heightMm.toFixed(1)} mm`,
        );
        const change: Change = { page: cp as number, boxMm: [0, 0, round(widthMm), round(heightMm)] };
        view.changes.push(change);
        entry.changes.push(change);
      } else if (c) {
        view.diffPixels = c.diffPixels;
        if (c.diff)
          view.diff = await writePng(
            ctx.report,
            `${name}-diff.png`,
            { width: c.diff.width, height: c.diff.height, data: Buffer.from(c.diff.data) },
            4,
          );
        const mask = new Uint8Array(c.diff ? c.diff.width * c.diff.height : 0);
        const d = c.diff?.data ?? new Uint8Array();
        for (let k = 0, j = 0; k < mask.length; k++, j += 4) mask[k] = d[j] === 255 && d[j + 1] === 0 && d[j + 2] === 0 ? 1 : 0;
        const side = fieldMap?.[i];
        const changes = await describeChanges(mask, refImg.width, refImg.height, ctx, side, rp, cp as number);
        view.changes.push(...changes);
        entry.changes.push(...changes);
      }
    } else if (entry.status === 'same') {
      entry.status = 'changed';
      entry.notes.push(`${label}: only in the ${refImg ? 'reference' : 'candidate'}`);
    }
    entry.views.push(view);
  }
  if (entry.notes.length && entry.status === 'same') entry.status = 'changed';
  return entry;
}

const round = (v: number) => Math.round(v * 100) / 100;

/**
 * The separate changes of a page: first one per field of the field map whose box holds differing pixels
 * (with the field's text before and after), then the connected regions of what is left.
 */
async function describeChanges(
  mask: Uint8Array,
  width: number,
  height: number,
  ctx: Context,
  side: FieldMapSide | undefined,
  refPage: number | undefined,
  candPage: number,
): Promise<Change[]> {
  const px = ctx.dpi / 25.4;
  const toMm = (r: { x: number; y: number; width: number; height: number }): [number, number, number, number] => [
    round(r.x / px),
    round(r.y / px),
    round(r.width / px),
    round(r.height / px),
  ];
  const out: Change[] = [];
  let words: [Word[], Word[]] | undefined;
  const text = async () =>
    (words ??= await Promise.all([
      ctx.ref.kind === 'pdf' && refPage !== undefined ? pageWords(ctx.ref.path, refPage) : Promise.resolve([]),
      ctx.cand.kind === 'pdf' ? pageWords(ctx.cand.path, candPage) : Promise.resolve([]),
    ]));
  for (const f of side?.fields ?? []) {
    for (const box of f.boxMm) {
      const x0 = Math.max(0, Math.floor((box[0] - FIELD_MARGIN_MM) * px));
      const y0 = Math.max(0, Math.floor((box[1] - FIELD_MARGIN_MM) * px));
      const x1 = Math.min(width, Math.ceil((box[0] + box[2] + FIELD_MARGIN_MM) * px));
      const y1 = Math.min(height, Math.ceil((box[1] + box[3] + FIELD_MARGIN_MM) * px));
      let [bx0, by0, bx1, by1] = [width, height, -1, -1];
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) {
          if (!mask[y * width + x]) continue;
          mask[y * width + x] = 0;
          bx0 = Math.min(bx0, x);
          by0 = Math.min(by0, y);
          bx1 = Math.max(bx1, x);
          by1 = Math.max(by1, y);
        }
      if (bx1 < 0) continue;
      const [before, after] = await text();
      out.push({
        page: candPage,
        boxMm: toMm({ x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 }),
        field: f.label,
        ...(ctx.ref.kind === 'pdf' ? { before: textIn(before, box) } : {}),
        ...(ctx.cand.kind === 'pdf' ? { after: textIn(after, box) } : {}),
      });
    }
  }
  for (const r of changedRegions(mask, width, height, Math.max(1, Math.round(CELL_MM * px)))) out.push({ page: candPage, boxMm: toMm(r) });
  return out.sort((a, b) => a.boxMm[1] - b.boxMm[1] || a.boxMm[0] - b.boxMm[0]);
}

async function writePng(report: RunReport, name: string, img: PageImage, channels: 3 | 4 = 3): Promise<string> {
  await sharp(img.data, { raw: { width: img.width, height: img.height, channels } })
    .png({ compressionLevel: 6 })
    .toFile(report.imagePath(name));
  return name;
}

async function writeThumb(report: RunReport, name: string, img: PageImage): Promise<string> {
  await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: 320 })
    .png()
    .toFile(report.imagePath(name));
  return name;
}
