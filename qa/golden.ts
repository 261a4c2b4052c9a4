import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHROMIUM_ARGS,
  OFFICE_OUTPUT,
  REGISTERED_KINDS,
  type RegisteredKind,
  outputPageSize,
  parseOutputOptions,
  rasterizePdf,
  readPinnedFonts,
  receiptPageCount,
  writeReceiptList,
  type Engine,
  type Layout,
  type OutputOptions,
} from '../engine/index.ts';
import { compareImages, EXACT, type Comparison } from './compare.ts';
import { decodePng, encodePng } from './png.ts';
import { decodeBarcodesInPngs, fonts, pageBoxes, pageCount, pageText } from './poppler.ts';
import type { Report, ReportPage } from './report.ts';

/** Where the approved goldens live: golden/<layout>/<case>/record.json and page-N.png. */
export const GOLDEN_DIR = resolve(fileURLToPath(import.meta.url), '../../golden');

/**
 * The receipt lists' cases, beside the layouts': golden/receipt-list/<case>/manifest.json (a registered run's
 * manifest) and page-N.png; `--layout receipt-list` checks just them.
 */
export const RECEIPT_LIST_GOLDEN = 'receipt-list';
/** A4, as the A4 notices: 150 dpi. */
const RECEIPT_LIST_DPI = 150;
const A4 = { widthMm: 210, heightMm: 297 };

/** Cards at a card printer's 300 dpi; A4 notices at 150 dpi. */
export function goldenDpi(layout: Layout, output: OutputOptions = OFFICE_OUTPUT): number {
  return output.impose ? 150 : layout.proofDpi;
}

/** How a check runs. */
export interface GoldenOptions {
  goldenDir: string;
  /**
   * Write goldens from this render (refused under CI), as Playwright's --update-snapshots: `missing` only
   * those that are not there, `changed` those too that differ, `all` every page; false checks only.
   */
  update: GoldenUpdate;
  /** Under CI a missing golden is a failure and nothing is written. */
  ci: boolean;
  /** Check only this layout. */
  layout?: string;
}

/** Which goldens an update writes (GoldenOptions.update). */
export type GoldenUpdate = false | 'missing' | 'changed' | 'all';

/** What made the goldens: the check says plainly when it runs somewhere else. */
export interface GoldenEnvironment {
  chromium: string;
  chromiumArgs: string[];
  poppler: string;
  fonts: { name: string; sha256: string }[];
}

const PORTAL_DEFAULT = 'https://myna.go.jp/';
const flat = (s: string) => s.replace(/\s+/g, '');

/** This machine's rendering environment. */
export async function currentEnvironment(engine: Engine): Promise<GoldenEnvironment> {
  // pdftoppm -v prints its version on stderr.
  const poppler = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' });
  return {
    chromium: await engine.browserVersion(),
    chromiumArgs: [...CHROMIUM_ARGS],
    poppler: `${poppler.stderr}${poppler.stdout}`.split('\n')[0] ?? '',
    fonts: readPinnedFonts().map((f) => ({ name: f.name, sha256: f.sha256 })),
  };
}

function environmentNotes(recorded: GoldenEnvironment | undefined, now: GoldenEnvironment): string[] {
  if (!recorded) return ['No environment is recorded with the goldens.'];
  const out: string[] = [];
  if (recorded.chromium !== now.chromium)
    out.push(`Different environment: goldens were made with ${recorded.chromium}, this machine runs ${now.chromium}.`);
  if (recorded.chromiumArgs.join(' ') !== now.chromiumArgs.join(' '))
    out.push('Different environment: the Chromium flags differ from those the goldens were made with.');
  if (recorded.poppler !== now.poppler)
    out.push(`Different environment: goldens were rasterized by ${recorded.poppler}, this machine has ${now.poppler}.`);
  if (JSON.stringify(recorded.fonts) !== JSON.stringify(now.fonts))
    out.push('Different environment: the pinned fonts differ from those the goldens were made with.');
  return out.length ? out : [`Same environment as the goldens: ${now.chromium}, ${now.poppler}.`];
}

/**
 * The meaning of a rendered case, checked before its pixels: pages, size, fonts, key text, QR code (read
 * from `pngs`, its pages as rasterized for the comparison).
 */
async function meaningProblems(
  pdf: string,
  pngs: Buffer[],
  layout: Layout,
  record: Record<string, unknown>,
  expectedPages: number,
  output: OutputOptions,
): Promise<string[]> {
  const out: string[] = [];
  const pages = pageCount(pdf);
  if (pages !== expectedPages) out.push(`${pages} pages, expected ${expectedPages}`);
  const size = outputPageSize(layout, output);
  const w = (size.widthMm / 25.4) * 72;
  const h = (size.heightMm / 25.4) * 72;
  for (const [i, b] of pageBoxes(pdf).entries()) {
    if (Math.abs((b.media[2] ?? 0) - w) > 0.01 || Math.abs((b.media[3] ?? 0) - h) > 0.01)
      out.push(`page ${i + 1} is ${b.media[2]} × ${b.media[3]} pt, expected ${w.toFixed(2)} × ${h.toFixed(2)} pt`);
  }
  for (const f of fonts(pdf)) {
    if (!f.embedded || f.type !== 'CID TrueType') out.push(`font ${f.name} is ${f.type}${f.embedded ? '' : ', not embedded'}`);
  }
  const text = flat(pageText(pdf, 1));
  for (const field of ['name', 'number', 'insurerNumber']) {
    const value = record[field];
    if (typeof value === 'string' && !text.includes(flat(value))) out.push(`page 1 does not show ${field} ${JSON.stringify(value)}`);
  }
  if (layout.portalQr) {
    // The portal QR code is on one page: the A4 notice's only page, the card-type notice's back.
    const want = `QR-Code:${typeof record.portalUrl === 'string' ? record.portalUrl : PORTAL_DEFAULT}`;
    const got = (await decodeBarcodesInPngs(pngs)).filter((g) => g.length);
    if (got.length !== 1 || got[0]?.join() !== want) out.push(`QR code decodes as ${JSON.stringify(got)}, expected ${want} on one page`);
  }
  return out;
}

/**
 * Renders every golden case through the engine (the same render as the CLI and the service), checks its
 * meaning, then compares each page pixel for pixel with the approved PNG under the exact rule. With
 * `update`, writes the PNGs and the environment instead of failing on a difference.
 */
export async function checkGoldens(engine: Engine, options: GoldenOptions): Promise<Report> {
  if (options.update && options.ci)
    throw new Error('refusing to update goldens under CI: goldens change only by a person running `golden --update`');
  const envFile = join(options.goldenDir, 'environment.json');
  const recorded = existsSync(envFile) ? (JSON.parse(readFileSync(envFile, 'utf8')) as GoldenEnvironment) : undefined;
  const now = await currentEnvironment(engine);
  const notes = options.update ? [] : environmentNotes(recorded, now);
  const pages: ReportPage[] = [];
  const work = mkdtempSync(join(tmpdir(), 'shikaku-golden-'));
  let cases = 0;
  try {
    for (const layout of engine.layouts.values()) {
      if (options.layout && layout.id !== options.layout) continue;
      const layoutDir = join(options.goldenDir, layout.id);
      const caseIds = existsSync(layoutDir)
        ? readdirSync(layoutDir, { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .map((d) => d.name)
            .sort()
        : [];
      if (caseIds.length === 0) notes.push(`${layout.id}: no golden cases in ${layoutDir}`);
      // Two cases at a time (the engine's two tabs); pages are reported in case order.
      for (let i = 0; i < caseIds.length; i += 2) {
        const batch = caseIds.slice(i, i + 2);
        cases += batch.length;
        const results = await Promise.all(
          batch.map((id) => checkCase(engine, layout, join(layoutDir, id), `${layout.id} / ${id}`, work, options)),
        );
        for (const r of results) pages.push(...r);
      }
    }
    if (!options.layout || options.layout === RECEIPT_LIST_GOLDEN) {
      const dir = join(options.goldenDir, RECEIPT_LIST_GOLDEN);
      const caseIds = existsSync(dir)
        ? readdirSync(dir)
            .filter((id) => existsSync(join(dir, id, 'manifest.json')))
            .sort()
        : [];
      if (caseIds.length === 0) notes.push(`${RECEIPT_LIST_GOLDEN}: no golden cases in ${dir}`);
      for (const id of caseIds) {
        cases += 1;
        pages.push(...(await checkReceiptList(engine, join(dir, id), `${RECEIPT_LIST_GOLDEN} / ${id}`, work, options)));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (options.update) writeFileSync(envFile, `${JSON.stringify(now, null, 2)}\n`);
  const ok =
    pages.length > 0 &&
    pages.every((p) => p.status === 'same' || p.status === 'written') &&
    !notes.some((n) => n.includes('no golden cases'));
  const written = pages.filter((p) => p.status === 'written').length;
  notes.unshift(`${cases} cases, ${pages.length} pages${options.update ? ` (update ${options.update}: ${written} written)` : ''}.`);
  return { title: 'shikaku-print golden check', ok, notes, pages };
}

/**
 * One case: `record.json` (one record), or `records.json` (several, for production output) with
 * `output.json` (the output options as the CLI names them, e.g. {"impose": "a4"}; a carrier's case may say
 * {"registered": "kani"}: its records keep their registeredNumber, as a reprint's do).
 */
async function checkCase(
  engine: Engine,
  layout: Layout,
  dir: string,
  title: string,
  work: string,
  options: GoldenOptions,
): Promise<ReportPage[]> {
  const records = existsSync(join(dir, 'records.json'))
    ? (JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as Record<string, unknown>[])
    : [JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')) as Record<string, unknown>];
  const { registered, ...given } = existsSync(join(dir, 'output.json'))
    ? (JSON.parse(readFileSync(join(dir, 'output.json'), 'utf8')) as Record<string, unknown>)
    : {};
  const output = Object.keys(given).length ? parseOutputOptions(given) : OFFICE_OUTPUT;
  let pdf: Uint8Array;
  let pageTotal: number;
  try {
    if (registered !== undefined && !(typeof registered === 'string' && registered in REGISTERED_KINDS))
      throw new Error(`output.json: registered is one of ${Object.keys(REGISTERED_KINDS).join(', ')}, not ${JSON.stringify(registered)}`);
    const result = await engine.renderPdf(layout.id, records, {
      output,
      name: title,
      registered: registered as RegisteredKind | undefined,
    });
    pdf = result.pdf;
    pageTotal = result.pageCount;
  } catch (err) {
    return [
      { title, group: title, status: 'different', diffPixels: 0, regionMm: null, notes: [`render failed: ${(err as Error).message}`] },
    ];
  }
  const pdfPath = join(work, `${layout.id}-${title.replace(/\W+/g, '_')}.pdf`);
  writeFileSync(pdfPath, pdf);
  // A carrier's case is a mailing run (layout.json mailer.carries): its pages are the run's.
  const expectedPages = output.impose || layout.document === 'mailer' ? pageTotal : records.length * layout.sides.length;
  const dpi = goldenDpi(layout, output);
  const pngs = await rasterizePdf(pdf, pageTotal, outputPageSize(layout, output), dpi);
  const meaning = await meaningProblems(pdfPath, pngs, layout, records[0] as Record<string, unknown>, expectedPages, output);
  return comparePages(pngs, { dir, title, meaning, dpi, options });
}

/** A page whose PNG file is the golden's, byte for byte. */
const IDENTICAL: Comparison = { same: true, diffPixels: 0, region: null, diff: null };

/**
 * A case's pages against its approved PNGs (`dir`/page-N.png) under the exact rule; with `update`, writes them
 * as `options.update` says unless the case's meaning checks failed.
 */
function comparePages(
  pngs: Buffer[],
  { dir, title, meaning, dpi, options }: { dir: string; title: string; meaning: string[]; dpi: number; options: GoldenOptions },
): ReportPage[] {
  const pxToMm = 25.4 / dpi;
  return pngs.map((actualPng, i): ReportPage => {
    const pageTitle = `${title} / page ${i + 1}`;
    const file = join(dir, `page-${i + 1}.png`);
    const notes = i === 0 ? meaning.map((m) => `meaning: ${m}`) : [];
    const expectedPng = existsSync(file) ? readFileSync(file) : undefined;
    // Equal bytes are equal pixels: only a page whose file differs is decoded and compared pixel by pixel.
    const c = !expectedPng
      ? undefined
      : expectedPng.equals(actualPng)
        ? IDENTICAL
        : compareImages(decodePng(expectedPng), decodePng(actualPng), EXACT);
    if (c?.sizeMismatch) notes.push(`size ${c.sizeMismatch.actual.join(' × ')} px, golden ${c.sizeMismatch.expected.join(' × ')} px`);
    const previous = !c ? 'missing' : c.same ? 'same' : 'different';
    const mode = options.update;
    const write =
      mode !== false &&
      meaning.length === 0 &&
      (mode === 'all' || (mode === 'changed' && previous !== 'same') || (mode === 'missing' && previous === 'missing'));
    if (write) writeFileSync(file, actualPng);
    else if (mode !== false && meaning.length) notes.push('not written: its meaning checks fail');
    if (previous === 'missing' && !write)
      notes.push(`no golden at ${file}: run \`npx shikaku-print golden --update\` and commit it after looking at it`);
    const status = write
      ? 'written'
      : previous === 'missing'
        ? 'missing'
        : previous === 'same' && notes.length === 0
          ? 'same'
          : 'different';
    const regionMm = c?.region
      ? { x: c.region.x * pxToMm, y: c.region.y * pxToMm, width: c.region.width * pxToMm, height: c.region.height * pxToMm }
      : null;
    return {
      title: pageTitle,
      group: title,
      status,
      previous,
      diffPixels: c?.diffPixels ?? 0,
      regionMm,
      dpi,
      notes,
      ...(status === 'same'
        ? {}
        : {
            images: {
              ...(expectedPng ? { expected: expectedPng } : {}),
              actual: actualPng,
              ...(c?.diff ? { diff: encodePng(c.diff) } : {}),
            },
          }),
    };
  });
}

/**
 * A receipt list's case: its manifest through writeReceiptList (what render and `mailing receipts` write), the
 * sender from the engine's insurer profiles; its meaning (pages, A4, embedded fonts, the first and last number
 * printed), then its pages as any case's.
 */
async function checkReceiptList(engine: Engine, dir: string, title: string, work: string, options: GoldenOptions): Promise<ReportPage[]> {
  const pdfPath = join(work, `${title.replace(/\W+/g, '_')}.pdf`);
  let expectedPages: number;
  let first: string;
  let last: string;
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Parameters<typeof writeReceiptList>[0];
    const written = await writeReceiptList(manifest, engine.insurers, pdfPath);
    ({ first, last } = written);
    expectedPages = receiptPageCount(written.pieces);
  } catch (err) {
    return [
      { title, group: title, status: 'different', diffPixels: 0, regionMm: null, notes: [`render failed: ${(err as Error).message}`] },
    ];
  }
  const pages = pageCount(pdfPath);
  const meaning: string[] = [];
  if (pages !== expectedPages) meaning.push(`${pages} pages, expected ${expectedPages}`);
  for (const [i, b] of pageBoxes(pdfPath).entries())
    if (Math.abs((b.media[2] ?? 0) - 595.28) > 0.01 || Math.abs((b.media[3] ?? 0) - 841.89) > 0.01) meaning.push(`page ${i + 1} is not A4`);
  for (const f of fonts(pdfPath))
    if (!f.embedded || f.type !== 'CID TrueType') meaning.push(`font ${f.name} is ${f.type}${f.embedded ? '' : ', not embedded'}`);
  if (!pageText(pdfPath, 1).includes(first)) meaning.push(`page 1 does not show the first number ${first}`);
  if (!pageText(pdfPath, pages).includes(last)) meaning.push(`the last page does not show the last number ${last}`);
  const pngs = await rasterizePdf(readFileSync(pdfPath), pages, A4, RECEIPT_LIST_DPI);
  return comparePages(pngs, { dir, title, meaning, dpi: RECEIPT_LIST_DPI, options });
}
