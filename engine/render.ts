import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrintError, throwIfCancelled, type RecordProblem } from './errors.ts';
import { loadLayouts, getLayout, largestSealMm, LAYOUTS_DIR, type Layout } from './layouts/layouts.ts';
import { loadInsurers, DEFAULT_INSURERS_DIR, type Insurers } from './insurers/profiles.ts';
import { validateRecords, recordLabel } from './validate/validate.ts';
import type { InsuranceRecord } from './records/schema.ts';
import { recordKey } from './records/record-key.ts';
import { toPrintValues, type PrintValues } from './format/print-values.ts';
import { portalQrSize } from './format/qr-code.ts';
import { FIELDS, isFieldName } from './records/fields.ts';
import { compileLayout, buildDocument, documentHtml, type CompiledLayout } from './template/document.ts';
import { layoutImagesCss } from './layouts/layout-images.ts';
import { verifyFonts, fontFaceCss, writeFontconfig } from './fonts/fonts.ts';
import { pinnedCoverage } from './fonts/glyph-coverage.ts';
import { AssetServer } from './browser/asset-server.ts';
import { BrowserSupervisor } from './browser/supervisor.ts';
import { sweepOrphans } from './browser/orphans.ts';
import type { PngMode } from './png/finish-png.ts';
import type { Lane, PrintedChunk } from './browser/tab-pool.ts';
import type { FieldFit } from './browser/fit-fields.ts';
import type { EventEmitter } from 'node:events';
import type { PdfSink } from './pdf/pdf-writer.ts';
import { OFFICE_OUTPUT, TrimPages, type OutputOptions, type OutputTarget, type Placement } from './output/target.ts';
import { ImposedSheets } from './output/imposed-sheets.ts';
import { SplitFiles } from './output/split-files.ts';
import { fieldMapOf } from './output/field-map.ts';
import { bleedMm } from './output/page-size.ts';
import { planSheet } from './output/sheet-plan.ts';
import { checkPageNumber, rasterizePdf } from './png/rasterize.ts';
import { StepTimes } from './step-times.ts';

/** Tuning of an engine; every field has a default that suits a 2-core machine. */
export interface EngineOptions {
  /** Tabs printing in parallel in the one browser. */
  tabs: number;
  /** Tabs more, kept for counter prints (RenderOptions.lane): a batch run never takes them. */
  counterTabs: number;
  /** Pages a tab prints before a fresh one takes its place (memory hygiene, as restartAfter for the browser). */
  freshTabAfterPages: number;
  /** Records per document: one page load and one print call serve this many records. */
  chunkSize: number;
  /** Time limit for loading or printing one chunk. */
  timeoutMs: number;
  layoutsDir: string;
  /** The Chromium binary (CHROME_PATH, read by config/env.ts); /usr/bin/chromium when left out. */
  chromePath: string | undefined;
  /** Chunks one browser prints before it is replaced by a fresh one (memory hygiene). */
  restartAfter: number;
  /** Tries of one chunk; between tries the browser is killed and started again. */
  attempts: number;
  /** The insurer profiles folder asked for by name (--insurers, SHIKAKU_INSURERS_DIR); `insurers/` when left out. */
  insurersDir?: string | undefined;
  /** Profiles already loaded (the CLI checks records before it starts the engine); wins over insurersDir. */
  insurers?: Insurers | undefined;
}

const DEFAULTS: EngineOptions = {
  tabs: 2,
  counterTabs: 0,
  freshTabAfterPages: 4000,
  chunkSize: 100,
  timeoutMs: 120_000,
  layoutsDir: LAYOUTS_DIR,
  chromePath: undefined,
  restartAfter: 2000,
  attempts: 3,
};

export type { RestartReason } from './browser/supervisor.ts';

/** Where each input record's pages are in the output: record and pages 1-based, pages inclusive. */
export interface RecordPages {
  record: number;
  /** The record's key (record-key.ts): its `ref`, or its insurance numbers. */
  key?: string;
  firstPage: number;
  lastPage: number;
  /** On imposed sheets: where each side of the record is. */
  placements?: Placement[];
  /** In split output: the archive's file that holds the record; its pages are that file's. */
  file?: string;
}

/** What a render produced: the page map of the PDF written to the sink. */
export interface RenderSummary {
  layout: string;
  pageCount: number;
  records: RecordPages[];
  /** With RenderOptions.fitting: every fixed box of every page and what fitting did to it. */
  fitting?: FieldFit[];
  /** With RenderOptions.fieldMap: where the fixed boxes are on each page of a record. */
  fieldMap?: FieldMapSide[];
}

/**
 * Where the fixed boxes are on one side (the n-th page of each record is the layout's n-th side), in mm
 * from the page's top-left corner (the bleed's edge on pages with bleed). A box that is not in the same
 * place for every record lists each place.
 */
export interface FieldMapSide {
  side: string;
  fields: { field: string; label: string; boxMm: [number, number, number, number][] }[];
}

/** A render held in memory, for small requests. */
export interface RenderResult extends RenderSummary {
  pdf: Uint8Array;
}

/** Progress of a render, reported after each chunk. */
export interface RenderProgress {
  recordsDone: number;
  recordsTotal: number;
}

/** What a caller may attach to a render. */
export interface RenderOptions {
  onProgress?: (p: RenderProgress) => void;
  /** Bleed, imposition, duplex, order (the colour step is the file writers'); trim pages when left out. */
  output?: OutputOptions | undefined;
  /** What the slug of imposed sheets calls this run: the output file's or the job's name. */
  name?: string | undefined;
  /** Cancels the render: chunks in Chromium are stopped, no further chunk starts, it rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** `counter` for a person waiting (it goes before batch chunks, and may use the counter tabs); `batch` when left out. */
  lane?: Lane | undefined;
  /** Also answer every fixed box and what fitting did to it (RenderSummary.fitting): the studio's overlay. */
  fitting?: boolean | undefined;
  /** Also answer the field map (RenderSummary.fieldMap), for trim pages: the manifest carries it. */
  fieldMap?: boolean | undefined;
  /**
   * A draft proof for the studio: a box whose text does not fit is reported in `fitting` (fits: false)
   * instead of failing the render, and printed cut off. Never for output that goes anywhere.
   */
  draft?: boolean | undefined;
}

/** Which page of a render to rasterize, and how to stop it. */
export interface RenderPageOptions {
  /** The page, from 1 to records × sides. */
  page: number;
  /** Resolution of the PNG; 300 when left out. */
  dpi?: number | undefined;
  /** Cancels rendering and rasterizing alike; the promise rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** A proof (default) or pure black on white for a card printer's K panel. */
  png?: PngMode | undefined;
  /** As RenderOptions.lane. */
  lane?: Lane | undefined;
  /** As RenderOptions.fitting: RenderedPage.fitting then holds the boxes of this page. */
  fitting?: boolean | undefined;
  /** As RenderOptions.draft. */
  draft?: boolean | undefined;
}

/** One page of a render as PNG, with the page count of the whole render. */
export interface RenderedPage {
  png: Buffer;
  pageCount: number;
  /** With RenderPageOptions.fitting: the fixed boxes of this page and what fitting did to them. */
  fitting?: FieldFit[];
}

/** What a layout offers, for listings. */
export interface LayoutSummary {
  id: string;
  name: string;
  widthMm: number;
  heightMm: number;
  sides: string[];
  required: string[];
}

/**
 * The print engine: one long-lived Chromium with a few tabs, the pinned fonts, and the layouts. Create it
 * once, render many batches, close it.
 */
export class Engine {
  private readonly compiled = new Map<string, CompiledLayout>();
  /** Where the time of this engine's renders went, step by step (bench --profile). */
  readonly stepTimes: StepTimes;

  private constructor(
    readonly layouts: Map<string, Layout>,
    /** The insurer profiles records are completed from. */
    private profiles: Insurers,
    private readonly assets: AssetServer,
    private readonly browser: BrowserSupervisor,
    private readonly fontFaces: string,
    private readonly fontconfig: string,
    private readonly options: EngineOptions,
    stepTimes: StepTimes,
  ) {
    this.stepTimes = stepTimes;
  }

  /** The insurer profiles records are completed from. */
  get insurers(): Insurers {
    return this.profiles;
  }

  /**
   * Reads the insurer profiles again from their folder (the studio, after a profile was edited). A profile
   * that does not load throws its SETUP error and the engine keeps the profiles it had.
   */
  async reloadInsurers(): Promise<void> {
    if (!this.profiles.dir) return;
    const fresh = await loadInsurers(this.profiles.dir, { sealMm: largestSealMm(this.layouts) || 10, explicit: true });
    this.assets.addImages(fresh.seals());
    this.profiles = fresh;
  }

  /** Emits 'restart' (RestartReason) whenever the browser is replaced. */
  get events(): EventEmitter {
    return this.browser;
  }

  /** Checks fonts and layouts, then starts the browser. */
  static async start(options: Partial<EngineOptions> = {}): Promise<Engine> {
    sweepOrphans(); // first remove what a killed engine left behind: its Chromium processes, its temp folders
    const opts = { ...DEFAULTS, ...options };
    const layouts = loadLayouts(opts.layoutsDir);
    const insurers = opts.insurers ?? (await loadEngineInsurers(layouts, opts.insurersDir));
    const fonts = verifyFonts();
    const fontconfig = writeFontconfig(fonts);
    const assets = new AssetServer(fonts, insurers.seals());
    const stepTimes = new StepTimes();
    const browser = new BrowserSupervisor(assets, fontconfig, opts, stepTimes);
    const engine = new Engine(layouts, insurers, assets, browser, fontFaceCss(fonts), fontconfig, opts, stepTimes);
    try {
      await assets.start();
      await browser.start();
      return engine;
    } catch (err) {
      await engine.close();
      throw err;
    }
  }

  /** Whether a browser is up to print: the service's readiness. */
  isReady(): boolean {
    return this.browser.isReady();
  }

  /** The layouts with their page size, sides and required fields. */
  listLayouts(): LayoutSummary[] {
    return [...this.layouts.values()].map(summarizeLayout);
  }

  /**
   * Renders every record with `layoutId` into one PDF written to `sink`: records in input order, each
   * record's sides together. Chunks of records print in parallel tabs and are written in order as they
   * finish. Throws INVALID_INPUT listing every problem when any record is invalid or does not fit its
   * boxes; the sink may then hold part of a PDF, which the caller discards.
   */
  async render(layoutOrId: string | Layout, raws: readonly unknown[], sink: PdfSink, options: RenderOptions = {}): Promise<RenderSummary> {
    const { onProgress, signal, output = OFFICE_OUTPUT } = options;
    const layout = this.layoutOf(layoutOrId);
    const prepared = this.prepare(layout, raws);
    const total = prepared.count;
    const compiled = this.compile(layout, await layoutImagesCss(layout));
    const target = outputTarget(layout, sink, output, options.name ?? layout.id, { keyOf: prepared.key });
    // Records are printed in the order the output needs them (imposition in cut-stack order reorders them).
    const order = target.printOrder(total);
    const chunks: number[][] = [];
    for (let i = 0; i < order.length; i += this.options.chunkSize) chunks.push(order.slice(i, i + this.options.chunkSize));

    const problems: RecordProblem[] = [];
    // Printed chunks waiting for their turn to be written, with which printed page each output page is
    // (equal pages are printed once: document.ts).
    const ready = new Map<number, { printed: PrintedChunk; pages: number[] }>();
    const fitting: FieldFit[] = [];
    const fieldBoxes = new Set<string>();
    const wantBoxes = options.fieldMap === true && !output.impose;
    let nextToWrite = 0;
    let writing = Promise.resolve();
    let done = 0;

    await forEachLimited(chunks, this.options.tabs, async (chunk, i) => {
      throwIfCancelled(signal);
      const t1 = performance.now();
      const doc = buildDocument(compiled, chunk.map(prepared.values), this.fontFaces);
      this.stepTimes.add('build HTML', performance.now() - t1);
      const printed = await this.browser.print(
        { head: doc.head, body: doc.body, pages: doc.printedPages },
        {
          checkOnly: problems.length > 0,
          signal,
          lane: options.lane,
          report: options.fitting,
          draft: options.draft,
          fieldBoxes: wantBoxes,
        },
      );
      for (const b of printed.fieldBoxes ?? []) fieldBoxes.add(b);
      if (!options.draft) problems.push(...printed.overflowing.map((o) => overflowProblem(o.record, o.field, raws)));
      if (printed.fitting) fitting.push(...printed.fitting);
      ready.set(i, { printed, pages: doc.pages });
      // Write finished chunks in input order; a chunk that finishes early waits for its predecessors.
      for (let c = ready.get(nextToWrite); c; c = ready.get(nextToWrite)) {
        ready.delete(nextToWrite);
        const records = chunks[nextToWrite] ?? [];
        nextToWrite++;
        if (problems.length === 0)
          writing = writing.then(() => this.stepTimes.time('merge and write', () => target.add(c.printed.pdf, records, c.pages)));
      }
      await writing;
      done += chunk.length;
      onProgress?.({ recordsDone: done, recordsTotal: total });
    });
    await writing;
    throwIfCancelled(signal);
    if (problems.length) {
      problems.sort((a, b) => a.record - b.record);
      throw new PrintError('INVALID_INPUT', `${problems.length} field(s) do not fit their boxes; nothing was printed`, { problems });
    }
    const summary = await this.stepTimes.time('merge and write', () =>
      target.finish({ title: layout.name, subject: `${layout.id}: ${total} records` }),
    );
    if (options.fitting) fitting.sort((a, b) => a.record - b.record);
    const records = summary.records.map((r) => ({ ...r, key: prepared.key(r.record - 1) }));
    const fieldMap = wantBoxes ? fieldMapOf(layout, fieldBoxes, bleedMm(output)) : undefined;
    return { layout: layout.id, ...summary, records, ...(options.fitting ? { fitting } : {}), ...(fieldMap ? { fieldMap } : {}) };
  }

  /** `render` into memory, for small requests. */
  async renderPdf(layoutOrId: string | Layout, raws: readonly unknown[], options: RenderOptions = {}): Promise<RenderResult> {
    const parts: Uint8Array[] = [];
    const summary = await this.render(layoutOrId, raws, (b) => parts.push(b), options);
    return { ...summary, pdf: Buffer.concat(parts) };
  }

  /**
   * Renders the records and rasterizes only `page` of them to PNG: a proof over HTTP. The page number is
   * checked before any work, and the one signal stops Chromium and pdftoppm alike, so a render past its
   * time limit leaves no work behind.
   */
  async renderPage(layoutOrId: string | Layout, raws: readonly unknown[], options: RenderPageOptions): Promise<RenderedPage> {
    const { page, dpi = 300, signal, png: mode, lane, fitting, draft } = options;
    const layout = this.layoutOf(layoutOrId);
    // With no records the render's own check says so better than an empty page range would.
    if (raws.length > 0) checkPageNumber(page, raws.length * layout.sides.length);
    const result = await this.renderPdf(layout, raws, { signal, lane, fitting, draft });
    const [png] = await rasterizePdf(result.pdf, result.pageCount, layout.page, dpi, {
      firstPage: page,
      lastPage: page,
      signal,
      png: mode,
    });
    if (!png) throw new PrintError('RENDER', `page ${page} of ${result.pageCount} was not rasterized`);
    if (!fitting) return { png, pageCount: result.pageCount };
    // Pages are each record's sides in turn.
    const sides = layout.sides.length;
    const record = Math.floor((page - 1) / sides);
    const side = layout.sides[(page - 1) % sides]?.id;
    return { png, pageCount: result.pageCount, fitting: (result.fitting ?? []).filter((f) => f.record === record && f.side === side) };
  }

  /** The browser's product and version, e.g. "Chrome/156.0.8078.79" (goldens record it). */
  browserVersion(): Promise<string> {
    return this.browser.version();
  }

  /** The operating-system process id of the browser, for supervision and measurement. */
  browserPid(): number | undefined {
    return this.browser.pid();
  }

  /** Closes the browser (and every process it started) and the asset server. */
  async close(): Promise<void> {
    await this.browser.close();
    await this.assets.close();
    rmSync(dirname(this.fontconfig), { recursive: true, force: true });
  }

  /**
   * The chunk documents a render of `raws` prints, as HTML, without printing them. With `share: false`
   * every side of every record is kept, equal or not: the plain documents bench --reference prints. One
   * chunk at a time, so a long run is never held whole.
   */
  *documents(layoutOrId: string | Layout, raws: readonly unknown[], options: { share?: boolean } = {}): Generator<string> {
    const layout = this.layoutOf(layoutOrId);
    const prepared = this.prepare(layout, raws);
    const compiled = this.compile(layout, '');
    for (let i = 0; i < prepared.count; i += this.options.chunkSize) {
      const chunk = Array.from({ length: Math.min(this.options.chunkSize, prepared.count - i) }, (_, k) => prepared.values(i + k));
      yield documentHtml(buildDocument(compiled, chunk, this.fontFaces, options));
    }
  }

  /**
   * Checks every record (throws INVALID_INPUT naming every problem) and answers how to turn record `i`
   * into what the templates print. The printed values are made chunk by chunk, when the chunk is built,
   * so a long run never holds them all.
   */
  private prepare(
    layout: Layout,
    raws: readonly unknown[],
  ): { count: number; values: (i: number) => PrintValues; key: (i: number) => string } {
    const t0 = performance.now();
    const coverage = pinnedCoverage();
    const { insurers } = this;
    const valueOptions = { qrCode: layout.portalQr && portalQrSize(layout.page.widthMm), cardCode: layout.cardCode, insurers };
    const records = validateRecords(raws, layout, { coverage, insurers });
    this.stepTimes.add('validate', performance.now() - t0);
    return {
      count: records.length,
      values: (i) => toPrintValues(records[i] as InsuranceRecord, i, coverage, valueOptions),
      key: (i) => recordKey(records[i] as InsuranceRecord, layout.scheme),
    };
  }

  /** A layout of this engine by id, or a layout given whole (a draft of the studio, a layout of another folder). */
  private layoutOf(layoutOrId: string | Layout): Layout {
    return typeof layoutOrId === 'string' ? getLayout(this.layouts, layoutOrId) : layoutOrId;
  }

  /**
   * The layout compiled, from a cache keyed by what the templates and CSS say, not by the layout's id: an
   * edited layout (or a draft never saved) is compiled afresh, an unchanged one never twice.
   */
  private compile(layout: Layout, imagesCss: string): CompiledLayout {
    const key = layoutContentKey(layout, imagesCss);
    let c = this.compiled.get(key);
    if (c)
      this.compiled.delete(key); // most recently used goes last
    else c = compileLayout(layout, imagesCss);
    this.compiled.set(key, c);
    // A studio session makes a new version with every save: only the most recent few are kept.
    for (const oldest of this.compiled.keys()) {
      if (this.compiled.size <= COMPILED_KEPT) break;
      this.compiled.delete(oldest);
    }
    return c;
  }
}

/** How many compiled layout versions an engine keeps. */
const COMPILED_KEPT = 32;

/** What a compiled layout depends on, as one digest. */
function layoutContentKey(layout: Layout, imagesCss: string): string {
  const { id, name, page, sealMm, sideTemplates, partialSources, css } = layout;
  const content = JSON.stringify([id, name, page, sealMm, sideTemplates.map((s) => [s.id, s.source]), partialSources, css, imagesCss]);
  return createHash('sha256').update(content).digest('hex');
}

function overflowProblem(index: number, field: string, raws: readonly unknown[]): RecordProblem {
  return {
    record: index + 1,
    recordLabel: recordLabel(index, raws[index]),
    path: field,
    label: isFieldName(field) ? FIELDS[field].label : field,
    message: 'too long for its box on the document: shorten it (text is never cut off)',
  };
}

/** What split output names its files by and dates them with (outputTarget). */
export interface SplitNaming {
  /** A record's key by its 0-based output position. */
  keyOf?: (position: number) => string | undefined;
  /** The files' date in the archive; now when left out. */
  modified?: Date;
}

/**
 * The output stage a render writes through: trim pages (with or without bleed), imposed sheets, or split
 * files in a ZIP.
 */
export function outputTarget(layout: Layout, sink: PdfSink, output: OutputOptions, name: string, naming: SplitNaming = {}): OutputTarget {
  const neutralGray = output.color === 'press';
  if (output.split !== undefined) {
    return new SplitFiles(sink, layout.page, layout.sides.length, {
      split: output.split,
      bleedMm: bleedMm(output),
      keyOf: naming.keyOf ?? (() => undefined),
      title: layout.name,
      subject: `${layout.id}: ${name}`,
      modified: naming.modified ?? new Date(),
    });
  }
  if (output.impose) {
    return new ImposedSheets(sink, planSheet(output.impose, layout.page), layout.sides.length, {
      duplex: output.duplex,
      order: output.order,
      name,
      neutralGray,
    });
  }
  return new TrimPages(sink, layout.page, layout.sides.length, { bleedMm: bleedMm(output), neutralGray });
}

/**
 * The insurer profiles for a set of layouts: from `dir` when one was named (it must exist), else from
 * `insurers/` when there is one. Raster seals are checked against the largest seal box of the layouts.
 */
export function loadEngineInsurers(layouts: Map<string, Layout>, dir: string | undefined): Promise<Insurers> {
  return loadInsurers(dir ?? DEFAULT_INSURERS_DIR, { sealMm: largestSealMm(layouts) || 10, explicit: dir !== undefined });
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure stops new work and is thrown. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** A layout's public facts. */
export function summarizeLayout(l: Layout): LayoutSummary {
  return {
    id: l.id,
    name: l.name,
    widthMm: l.page.widthMm,
    heightMm: l.page.heightMm,
    sides: l.sides.map((s) => s.id),
    required: [...l.required],
  };
}
