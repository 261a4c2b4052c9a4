import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { PrintError, type RecordProblem } from './errors.ts';
import { loadLayouts, getLayout, LAYOUTS_DIR, type Layout } from './layouts/layouts.ts';
import { validateRecords, recordLabel } from './validate/validate.ts';
import { toPrintValues } from './format/print-values.ts';
import { FIELDS, isFieldName } from './records/fields.ts';
import { compileLayout, buildDocument, type CompiledLayout } from './template/document.ts';
import { verifyFonts, fontFaceCss, writeFontconfig } from './fonts/fonts.ts';
import { AssetServer } from './browser/asset-server.ts';
import { launchChromium } from './browser/chromium.ts';
import { TabPool } from './browser/tab-pool.ts';
import { finishPdf } from './pdf/finish.ts';

/** Tuning of an engine; every field has a default that suits a 2-core machine. */
export interface EngineOptions {
  /** Tabs printing in parallel in the one browser. */
  tabs: number;
  /** Records per document: one page load and one print call serve this many records. */
  chunkSize: number;
  /** Time limit for loading or printing one chunk. */
  timeoutMs: number;
  layoutsDir: string;
  env: NodeJS.ProcessEnv;
}

const DEFAULTS: EngineOptions = { tabs: 2, chunkSize: 100, timeoutMs: 120_000, layoutsDir: LAYOUTS_DIR, env: process.env };

/** Where each input record's pages are in the output: record and pages 1-based, pages inclusive. */
export interface RecordPages {
  record: number;
  firstPage: number;
  lastPage: number;
}

/** A finished PDF and its page map. */
export interface RenderResult {
  layout: string;
  pdf: Uint8Array;
  pageCount: number;
  records: RecordPages[];
}

/** Progress of a render, reported after each chunk. */
export interface RenderProgress {
  recordsDone: number;
  recordsTotal: number;
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

  private constructor(
    readonly layouts: Map<string, Layout>,
    private readonly browser: Browser,
    private readonly assets: AssetServer,
    private readonly tabs: TabPool,
    private readonly fontFaces: string,
    private readonly fontconfigDir: string,
    private readonly options: EngineOptions,
  ) {}

  /** Checks fonts and layouts, then starts the browser. */
  static async start(options: Partial<EngineOptions> = {}): Promise<Engine> {
    const opts = { ...DEFAULTS, ...options };
    const layouts = loadLayouts(opts.layoutsDir);
    const fonts = verifyFonts();
    const fontconfig = writeFontconfig(fonts);
    const assets = new AssetServer(fonts);
    let browser: Browser | undefined;
    try {
      await assets.start();
      browser = await launchChromium(fontconfig, opts.env);
      const tabs = await TabPool.open(browser, assets, opts.tabs, opts.timeoutMs);
      return new Engine(layouts, browser, assets, tabs, fontFaceCss(fonts), dirname(fontconfig), opts);
    } catch (err) {
      await browser?.close().catch(() => undefined);
      await assets.close();
      rmSync(dirname(fontconfig), { recursive: true, force: true });
      throw err;
    }
  }

  /** The layouts with their page size, sides and required fields. */
  listLayouts(): LayoutSummary[] {
    return [...this.layouts.values()].map(summarizeLayout);
  }

  /**
   * Renders every record with `layoutId` into one PDF, records in input order, each record's sides
   * together. Throws INVALID_INPUT listing every problem when any record is invalid or does not fit its
   * boxes; then nothing is returned for any record.
   */
  async renderPdf(layoutId: string, raws: readonly unknown[], onProgress?: (p: RenderProgress) => void): Promise<RenderResult> {
    const layout = getLayout(this.layouts, layoutId);
    const records = validateRecords(raws, layout);
    const values = records.map((r, i) => toPrintValues(r, i));
    const compiled = this.compile(layout);
    const chunks: (typeof values)[] = [];
    for (let i = 0; i < values.length; i += this.options.chunkSize) chunks.push(values.slice(i, i + this.options.chunkSize));

    let done = 0;
    const printed = await Promise.all(
      chunks.map(async (chunk) => {
        const result = await this.tabs.print(buildDocument(compiled, chunk, this.fontFaces));
        done += chunk.length;
        onProgress?.({ recordsDone: done, recordsTotal: values.length });
        return result;
      }),
    );

    const overflow: RecordProblem[] = printed.flatMap((c) =>
      c.overflowing.map((o) => ({
        record: o.record + 1,
        recordLabel: recordLabel(o.record, raws[o.record]),
        path: o.field,
        label: isFieldName(o.field) ? FIELDS[o.field].label : o.field,
        message: 'too long for its box on the document: shorten it (text is never cut off)',
      })),
    );
    if (overflow.length) {
      throw new PrintError('INVALID_INPUT', `${overflow.length} field(s) do not fit their boxes; nothing was printed`, { problems: overflow });
    }

    const sides = layout.sides.length;
    const pdf = await finishPdf(
      printed.map((c, i) => ({ bytes: c.pdf, expectedPages: (chunks[i]?.length ?? 0) * sides })),
      layout.page,
      { title: layout.name, subject: `${layout.id}: ${values.length} records` },
    );
    return {
      layout: layout.id,
      pdf,
      pageCount: values.length * sides,
      records: values.map((v) => ({ record: v.index + 1, firstPage: v.index * sides + 1, lastPage: (v.index + 1) * sides })),
    };
  }

  /** The operating-system process id of the browser, for supervision and measurement. */
  browserPid(): number | undefined {
    return this.browser.process()?.pid;
  }

  /** Closes the browser and the asset server. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.assets.close();
    rmSync(this.fontconfigDir, { recursive: true, force: true });
  }

  private compile(layout: Layout): CompiledLayout {
    let c = this.compiled.get(layout.id);
    if (!c) {
      c = compileLayout(layout);
      this.compiled.set(layout.id, c);
    }
    return c;
  }
}

/** A layout's public facts. */
export function summarizeLayout(l: Layout): LayoutSummary {
  return { id: l.id, name: l.name, widthMm: l.page.widthMm, heightMm: l.page.heightMm, sides: l.sides.map((s) => s.id), required: [...l.required] };
}
