import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventEmitter } from 'node:events';
import { PrintError } from './errors.ts';
import { loadLayouts, getLayout, type Layout } from './layouts/layouts.ts';
import type { Insurers } from './insurers/profiles.ts';
import { loadEngineInsurers } from './layouts/layout-insurers.ts';
import { validateRecords } from './validate/validate.ts';
import type { InsuranceRecord } from './records/schema.ts';
import { recordKey } from './records/record-key.ts';
import { toPrintValues, type PrintValues } from './format/print-values.ts';
import { portalQrSize } from './validate/codes.ts';
import { addressBlock, type AddressBlock } from './mail/address-block.ts';
import { addresseeOf } from './mail/envelope-plan.ts';
import type { RegisteredKind } from './mail/number-band.ts';
import { mailCarrier, renderMailRun } from './mail-run.ts';
import { DEFAULT_ENVELOPE, getEnvelope, loadEnvelopes, type Envelope } from './mail/envelopes.ts';
import { buildDocument, documentHtml } from './template/document.ts';
import { CompiledLayouts } from './template/compiled-layouts.ts';
import { layoutImagesCss } from './layouts/layout-images.ts';
import { verifyFonts, fontFaceCss, writeFontconfig } from './fonts/fonts.ts';
import { pinnedCoverage } from './fonts/glyph-coverage.ts';
import { AssetServer } from './browser/asset-server.ts';
import { BrowserSupervisor } from './browser/supervisor.ts';
import { sweepOrphans } from './orphans.ts';
import type { PdfSink } from './pdf/pdf-writer.ts';
import { OFFICE_OUTPUT } from './output/target.ts';
import { printChunks, type ChunkPrinter, type ChunkRun, type Prepared } from './chunk-printer.ts';
import { writeOutput } from './output/output-stage.ts';
import type { RenderSummary } from './output/summary.ts';
import { fieldMapOf } from './output/field-map.ts';
import { bleedMm } from './output/page-size.ts';
import { checkPageNumber, rasterizePdf } from './png/rasterize.ts';
import { StepTimes } from './step-times.ts';
import { StaticLayers } from './browser/static-layers.ts';
import { writeTextLayer } from './pdf/text-layer.ts';
import {
  ENGINE_DEFAULTS,
  summarizeLayout,
  type EngineOptions,
  type LayoutSummary,
  type RenderedPage,
  type RenderOptions,
  type RenderPageOptions,
  type RenderResult,
} from './render-options.ts';

/**
 * The print engine: one long-lived Chromium with a few tabs, the pinned fonts, and the layouts. Create it
 * once, render many batches, close it.
 */
export class Engine {
  private readonly compiled = new CompiledLayouts();
  /** What printing a run's chunks needs of this engine. */
  private readonly printer: ChunkPrinter;
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
    /** The window envelopes, by id (envelopes/*.json). */
    readonly envelopes: ReadonlyMap<string, Envelope>,
  ) {
    this.stepTimes = stepTimes;
    this.printer = { browser, fontFaces, stepTimes, chunkSize: options.chunkSize, tabs: options.tabs, statics: new StaticLayers() };
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
    const fresh = await loadEngineInsurers(this.layouts, this.profiles.dir);
    checkInsurerEnvelopes(fresh, this.envelopes);
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
    const opts = { ...ENGINE_DEFAULTS, ...options };
    const layouts = loadLayouts(opts.layoutsDir);
    const insurers = opts.insurers ?? (await loadEngineInsurers(layouts, opts.insurersDir));
    const envelopes = loadEnvelopes(opts.envelopesDir);
    checkInsurerEnvelopes(insurers, envelopes);
    const fonts = verifyFonts();
    const fontconfig = writeFontconfig(fonts);
    const assets = new AssetServer(fonts, insurers.seals());
    const stepTimes = new StepTimes();
    // The variable layers' text is written by the PDF stage where it can be (print once: text-layer.ts).
    const browser = new BrowserSupervisor(assets, fontconfig, { ...opts, writeVariableLayer: writeTextLayer }, stepTimes);
    const engine = new Engine(layouts, insurers, assets, browser, fontFaceCss(fonts), fontconfig, opts, stepTimes, envelopes);
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
    const output = options.output ?? OFFICE_OUTPUT;
    const layout = this.layoutOf(layoutOrId);
    // A carrier prints as a mailing run of the records it carries: the studio's preview and the golden
    // check see it as it comes off the printer.
    if (layout.document === 'mailer') return this.renderCarrier(layout, raws, sink, options);
    const prepared = this.prepare(layout, raws, options);
    const compiled = this.compiled.get(layout, await layoutImagesCss(layout));
    const run: ChunkRun = { compiled, prepared, raws, options, fitting: [], fieldBoxes: new Set() };
    const wantBoxes = options.fieldMap === true && !output.impose;
    const stage = {
      name: options.name ?? layout.id,
      naming: { keyOf: prepared.key },
      info: { title: layout.name, subject: `${layout.id}: ${prepared.count} records` },
      icc: options.icc,
      pressTitle: options.pressTitle,
      stepTimes: this.stepTimes,
    };
    const summary = await writeOutput(sink, layout, output, stage, (target) => printChunks(target, run, this.printer, wantBoxes));
    if (options.fitting) run.fitting.sort((a, b) => a.record - b.record);
    const records = summary.records.map((r) => ({ ...r, key: prepared.key(r.record - 1) }));
    const fieldMap = wantBoxes ? fieldMapOf(layout, run.fieldBoxes, bleedMm(output)) : undefined;
    return {
      layout: layout.id,
      ...summary,
      records,
      ...(options.fitting ? { fitting: run.fitting } : {}),
      ...(fieldMap ? { fieldMap } : {}),
    };
  }

  /**
   * Prints sheets whose values are already made (a mailing run's carriers, mail-run.ts): no record is
   * checked here, the values come from checked records. Sheets are numbered as records in the summary.
   */
  async renderSheets(layout: Layout, values: readonly PrintValues[], sink: PdfSink, options: RenderOptions = {}): Promise<RenderSummary> {
    const prepared: Prepared = { count: values.length, values: (i) => values[i] as PrintValues, key: () => '' };
    const compiled = this.compiled.get(layout, await layoutImagesCss(layout));
    const run: ChunkRun = { compiled, prepared, raws: values, options, fitting: [], fieldBoxes: new Set() };
    const stage = {
      name: options.name ?? layout.id,
      naming: { keyOf: prepared.key },
      info: { title: layout.name, subject: `${layout.id}: ${values.length} sheets` },
      stepTimes: this.stepTimes,
    };
    const summary = await writeOutput(sink, layout, OFFICE_OUTPUT, stage, (target) => printChunks(target, run, this.printer, false));
    return { layout: layout.id, ...summary };
  }

  /**
   * What `layout`'s templates print of a checked record, with `block` as its 宛名 block (null: none): a
   * mailing run's carriers are the first record of their envelope, addressed to the envelope.
   */
  printValues(layout: Layout, record: InsuranceRecord, index: number, block: AddressBlock | null): PrintValues {
    const options = {
      qrCode: layout.portalQr && portalQrSize(layout.page.widthMm),
      cardCode: layout.cardCode,
      insurers: this.insurers,
      addressBlock: () => block,
    };
    return toPrintValues(record, index, pinnedCoverage(), options);
  }

  /** A carrier's records, as the mailing run of the documents it carries (layout.json mailer.carries). */
  private async renderCarrier(carrier: Layout, raws: readonly unknown[], sink: PdfSink, options: RenderOptions): Promise<RenderSummary> {
    const carries = carrier.mailer?.carries as NonNullable<Layout['mailer']>['carries'];
    const documents = getLayout(this.layouts, carries.layout);
    if (mailCarrier(this.layouts, documents, carries.mail)?.id !== carrier.id) {
      throw new PrintError(
        'SETUP',
        `layout ${carrier.id} carries ${documents.id} by ${carries.mail}, but ${documents.id} names another carrier for it`,
      );
    }
    const { signal, name, envelope, onProgress, registered, staticMarkup, wholePages, chromiumText } = options;
    const run = {
      mail: carries.mail,
      sort: carries.sort,
      signal,
      name,
      envelope,
      staticMarkup,
      wholePages,
      chromiumText,
      // Its records keep their numbers (registeredNumber): a carrier's sample or golden of registered mail.
      ...(registered ? { registered: { kind: registered } } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    return renderMailRun(this, documents.id, raws, sink, run);
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
    // A carrier's pages are known only once its mailing run has grouped the records.
    const carrier = layout.document === 'mailer';
    if (raws.length > 0 && !carrier) checkPageNumber(page, raws.length * layout.sides.length);
    const result = await this.renderPdf(layout, raws, { signal, lane, fitting, draft });
    if (carrier) checkPageNumber(page, result.pageCount);
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
    const compiled = this.compiled.get(layout, '');
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
  private prepare(layout: Layout, raws: readonly unknown[], options: RenderOptions = {}): Prepared {
    const t0 = performance.now();
    const coverage = pinnedCoverage();
    const { insurers } = this;
    const blocks = layout.addressBlock && options.addressBlocks !== false;
    const valueOptions = {
      qrCode: layout.portalQr && portalQrSize(layout.page.widthMm),
      cardCode: layout.cardCode,
      insurers,
      addressBlock: blocks ? (r: InsuranceRecord) => this.recordBlock(r, options.envelope, options.registered) : undefined,
    };
    const records = validateRecords(raws, layout, { coverage, insurers });
    this.stepTimes.add('validate', performance.now() - t0);
    return {
      count: records.length,
      values: (i) => toPrintValues(records[i] as InsuranceRecord, i, coverage, valueOptions),
      key: (i) => recordKey(records[i] as InsuranceRecord, layout.scheme),
    };
  }

  /** The envelope for records of `insurerNumber`: the run's, else its profile's, else the default. */
  envelopeFor(insurerNumber: string | undefined, override?: string): Envelope {
    return getEnvelope(this.envelopes, override ?? this.insurers.get(insurerNumber)?.envelope ?? DEFAULT_ENVELOPE);
  }

  /** A record's own 宛名 block (様), when it has a postal code; in a registered run, with its number. */
  private recordBlock(r: InsuranceRecord, envelope: string | undefined, registered: RegisteredKind | undefined) {
    const { postalCode, address, name, honorific } = addresseeOf(r);
    if (postalCode === undefined || address === undefined || name === undefined) return null;
    const piece = registered && r.registeredNumber ? { kind: registered, number: r.registeredNumber } : undefined;
    return addressBlock({ postalCode, address, name, honorific }, this.envelopeFor(r.insurerNumber, envelope), piece);
  }

  /** A layout of this engine by id, or a layout given whole (a draft of the studio, a layout of another folder). */
  private layoutOf(layoutOrId: string | Layout): Layout {
    return typeof layoutOrId === 'string' ? getLayout(this.layouts, layoutOrId) : layoutOrId;
  }
}

/** Every envelope an insurer profile names must exist: a typo fails at start, naming the profile. */
function checkInsurerEnvelopes(insurers: Insurers, envelopes: ReadonlyMap<string, Envelope>): void {
  for (const p of insurers.all()) {
    if (p.envelope !== null && !envelopes.has(p.envelope)) {
      throw new PrintError(
        'SETUP',
        `insurer profile ${p.file}: envelope "${p.envelope}" is not in envelopes/ (there are: ${[...envelopes.keys()].join(', ')})`,
      );
    }
  }
}
