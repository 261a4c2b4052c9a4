import type { Browser, Page } from 'puppeteer-core';
import { PrintError, cancelledError, throwIfCancelled } from '../errors.ts';
import type { AssetServer } from './asset-server.ts';
import { DRAW_RULES, drawRules } from './rules.ts';
import {
  END_LAYER,
  KEEP_SHEETS,
  STATIC_CELLS,
  STATIC_LAYER,
  STATIC_PART,
  STATIC_RULES,
  VARIABLE_LAYER,
  VARIABLE_RULES,
  staticSignatures,
} from './layers.ts';
import type { StaticLayers, StaticPage } from './static-layers.ts';
import { FIELD_BOXES, FIT_FIELDS, FITTING_REPORT, OVERFLOWS, type FieldFit } from './fit-fields.ts';
import type { StepTimes } from '../step-times.ts';
import { printToPdf } from './print-to-pdf.ts';
import { documentHtml } from '../template/document.ts';
import { TEXT_RUNS, pageTexts } from './text-runs.ts';
import { placeGlyphs, type GlyphPage } from '../fonts/glyph-runs.ts';

/** A box whose text did not fit, found in the rendered document. */
export interface OverflowingField {
  record: number;
  field: string;
}

/** What one tab printed from one document. */
export interface PrintedChunk {
  /** The pages printed whole; with PrintOptions.layers, their variable layers (`layers` says the rest). */
  pdf: Uint8Array;
  /**
   * When `pdf` holds other prints' pages too (a counter batch, counter-batch.ts): which of its pages
   * (0-based) are this print's. `layers.names` are this print's pages' only.
   */
  pageRange?: PageRange;
  /** With PrintOptions.layers: each page's static layer, by name, and where each one's drawing is. */
  layers?: { names: string[]; statics: Map<string, StaticPage>; markup?: string[] };
  overflowing: OverflowingField[];
  /** With PrintOptions.report: every fixed box and what fitting did to it. */
  fitting?: FieldFit[];
  /** With PrintOptions.fieldBoxes: the distinct fixed boxes of the chunk (FIELD_BOXES). */
  fieldBoxes?: string[];
}

/** Which pages of a counter batch's print (counter-batch.ts) are one caller's. */
export interface PageRange {
  /** The first (0-based) and how many. */
  first: number;
  count: number;
  /** The pages the batch printed in all. */
  total: number;
}

/** What a tab prints: the head of a layout's documents, kept loaded from chunk to chunk, and a chunk's body. */
export interface PrintDocument {
  head: string;
  body: string;
  /** How many pages the body prints. */
  pages: number;
}

/**
 * Writes a chunk's variable layer where its pages' glyphs were placed (engine/pdf/text-layer.ts, given by the
 * engine): a page per page, the placed ones (`pages[i]`, in the frame of its static layer's print
 * `staticPrints[i]`) over the next page of `printed` when some of their boxes were left to Chromium, and
 * for each null the next page of `printed` alone; `printed` is Chromium's print of those pages' other boxes.
 */
export type VariableLayerWriter = (
  pages: readonly (GlyphPage | null)[],
  staticPrints: readonly Uint8Array[],
  printed: Uint8Array | undefined,
) => Promise<Uint8Array>;

/** How a pool's tabs are kept. */
export interface TabPoolOptions {
  /** Tabs any print may take. */
  tabs: number;
  /** Tabs more, only for counter prints. */
  counterTabs: number;
  /** Time limit of each step of a print. */
  timeoutMs: number;
  /**
   * Pages a tab prints before it is closed and a fresh one takes its place: its renderer process ends
   * with it, and with it whatever the process kept from chunk to chunk (bench --profile: without this the
   * renderers grew from 1.2 to 1.9 GiB between 10,000 and 100,000 cards). A fresh tab costs about 0.2 s.
   */
  freshTabAfterPages: number;
  /** The glyph writer; left out, Chromium prints every variable layer. */
  writeVariableLayer?: VariableLayerWriter | undefined;
}

/**
 * Who a print is for. `counter`: one person waiting at a desk (sync renders of the service); `batch`: a
 * run or a job. Counter prints go first, and have a tab of their own that batch prints never take.
 */
export type Lane = 'counter' | 'batch';

/** How one chunk is printed. */
export interface PrintOptions {
  /** `batch` when left out. */
  lane?: Lane | undefined;
  /** Only check the boxes, print nothing: for a batch already known to fail. */
  checkOnly?: boolean | undefined;
  /** Stops the chunk in Chromium: its tab is closed and the print rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** Also answer every fixed box and what fitting did to it (the studio's overlay). */
  report?: boolean | undefined;
  /** Also answer where the fixed boxes are (FIELD_BOXES): the manifest's field map. */
  fieldBoxes?: boolean | undefined;
  /**
   * A draft proof (the studio): printed even when a box overflows, which `overflowing` still names. Never
   * for output that is sent anywhere: overflowing text would be cut off.
   */
  draft?: boolean | undefined;
  /**
   * Print once (layers.ts): each page as its static layer, printed once and kept here, under its variable
   * layer. Left out, each page is printed whole, as one layer (the check that both print the same).
   */
  layers?: StaticLayers | undefined;
  /** With `layers`: also answer each page's static layer as markup (the static-layer check). */
  staticMarkup?: boolean | undefined;
  /**
   * With `layers`: print the variable layer with Chromium even where the glyph writer could write it
   * (engine/pdf/text-layer.ts): the check that both draw the same.
   */
  chromiumText?: boolean | undefined;
}

/**
 * A fixed number of long-lived tabs of one browser. Each document goes to the next free tab. A tab loads a
 * layout's head once (its fonts, page geometry and CSS) and then only has its body replaced for each
 * chunk: loading a new document for every chunk cost 0.4–0.5 s per chunk (bench --profile), mostly spent
 * decoding and checking the same fonts again.
 */
export class TabPool {
  /** The empty tab kept in front, so that the printing tabs are hidden (see open). */
  private front: Page | undefined;
  /** Idle tabs any print may take. */
  private readonly idle: Page[] = [];
  /** Idle tabs kept for counter prints. */
  private readonly counterIdle: Page[] = [];
  private readonly counterTabs = new WeakSet<Page>();
  /** The head each tab has loaded. */
  private readonly heads = new WeakMap<Page, string>();
  /** Pages each tab has printed. */
  private readonly printed = new WeakMap<Page, number>();
  private readonly waiting: { lane: Lane; take: (page: Page) => void; fail: (err: Error) => void }[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Set when a closed tab could not be replaced: the browser is failing, and the supervisor must see it. */
  private broken: Error | undefined;

  private constructor(
    private readonly browser: Browser,
    private readonly assets: AssetServer,
    private readonly options: TabPoolOptions,
    private readonly times: StepTimes,
  ) {}

  private get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** Opens the tabs in `browser`; the time of each step of a print is added to `times`. */
  static async open(browser: Browser, assets: AssetServer, options: TabPoolOptions, times: StepTimes): Promise<TabPool> {
    const pool = new TabPool(browser, assets, options, times);
    for (let i = 0; i < options.tabs; i++) pool.idle.push(await pool.openTab());
    for (let i = 0; i < options.counterTabs; i++) {
      const tab = await pool.openTab();
      pool.counterTabs.add(tab);
      pool.counterIdle.push(tab);
    }
    // The newest tab is the browser's visible one, which paints every document for a screen that nobody
    // sees; the empty tab the browser starts with is brought back to the front, so every printing tab is
    // hidden and only prints.
    const [first] = await browser.pages();
    pool.front = first && !pool.idle.includes(first) && !pool.counterIdle.includes(first) ? first : await browser.newPage();
    await pool.front.bringToFront();
    return pool;
  }

  /**
   * Loads `html` in a free tab, checks its fonts and boxes, and prints it to PDF. With `checkOnly` (a batch
   * already known to fail) it only checks the boxes, so every problem is still found at less cost. When
   * `signal` aborts, the print rejects with CANCELLED at once, whether it waits for a tab or runs in one.
   */
  async print(doc: PrintDocument, options: PrintOptions = {}): Promise<PrintedChunk> {
    const { signal, lane = 'batch' } = options;
    throwIfCancelled(signal);
    this.inFlight++;
    try {
      const page = await this.times.time('wait for a tab', () => this.acquire(lane, signal, doc.head));
      if (signal?.aborted) {
        this.release(page);
        throw cancelledError(signal);
      }
      let cancelled = false;
      try {
        return await untilAborted(this.printIn(page, doc, options), signal, () => (cancelled = true));
      } finally {
        if (cancelled || (this.printed.get(page) ?? 0) >= this.options.freshTabAfterPages) this.replaceTab(page);
        else this.release(page);
      }
    } finally {
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once no print is running or waiting in this pool. */
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async printIn(page: Page, doc: PrintDocument, options: PrintOptions): Promise<PrintedChunk> {
    const { checkOnly = false, report = false, draft = false, fieldBoxes = false } = options;
    const step = <T>(name: string, work: () => Promise<T>) => this.times.time(name, work);
    if (this.heads.get(page) !== doc.head) {
      this.heads.delete(page);
      const shell = this.assets.publish(documentHtml({ head: doc.head, body: '' }));
      try {
        await step('load layout', () => page.goto(shell.url, { waitUntil: 'load', timeout: this.timeoutMs }));
      } finally {
        shell.withdraw();
      }
      this.heads.set(page, doc.head);
    }
    this.printed.set(page, (this.printed.get(page) ?? 0) + doc.pages);
    // The body arrives as a string argument of one fixed function (no new script per chunk for the page to
    // compile and keep) and is parsed as HTML by the page, exactly as from a file (none of it can run: see
    // openTab).
    await step('load chunk', () => this.evaluate(page, PUT_BODY, doc.body));
    await step('images', () => this.imagesLoaded(page));
    const fontErrors = (await step('fonts', () => this.evaluate(page, FAILED_FONTS))) as string[];
    if (fontErrors.length) {
      throw new PrintError('RENDER', `pinned font(s) failed to load in Chromium: ${fontErrors.join(', ')}`);
    }
    await step('fit', () => this.evaluate(page, FIT_FIELDS));
    const overflowing = (await step('overflow check', () => this.evaluate(page, OVERFLOWING_FIELDS))) as OverflowingField[];
    const fitting = report ? ((await this.evaluate(page, FITTING_REPORT)) as FieldFit[]) : undefined;
    if ((overflowing.length && !draft) || checkOnly) return { pdf: new Uint8Array(), overflowing, ...(fitting ? { fitting } : {}) };
    const boxes = fieldBoxes ? ((await this.evaluate(page, FIELD_BOXES)) as string[]) : undefined;
    const printed = options.layers
      ? await this.printLayers(page, doc, options.layers, options.staticMarkup === true, options.chromiumText === true)
      : { pdf: await this.printWhole(page) };
    return { ...printed, overflowing, ...(fitting ? { fitting } : {}), ...(boxes ? { fieldBoxes: boxes } : {}) };
  }

  /** Prints the document as it is, every page whole. */
  private async printWhole(page: Page): Promise<Uint8Array> {
    await this.times.time('rules', () => this.evaluate(page, DRAW_RULES));
    return this.times.time('print (page.pdf)', () => this.pdf(page));
  }

  /**
   * Prints the document in two layers (layers.ts): the static layers it has that `statics` does not
   * (each once, from the first page that has it), then the variable layer of every page; and answers
   * both, for engine/pdf/compose-layers.ts to compose.
   */
  private async printLayers(
    page: Page,
    doc: PrintDocument,
    statics: StaticLayers,
    withMarkup: boolean,
    chromiumText: boolean,
  ): Promise<Pick<PrintedChunk, 'pdf' | 'layers'>> {
    const step = <T>(name: string, work: () => Promise<T>) => this.times.time(name, work);
    let pageNames: string[];
    let markup: string[] | undefined;
    if (withMarkup) {
      const found = (await this.evaluate(page, staticSignatures(true))) as { name: string; text: string }[];
      pageNames = found.map((f) => f.name);
      markup = found.map((f) => f.text);
    } else pageNames = (await step('static layer names', () => this.evaluate(page, staticSignatures(false)))) as string[];
    const names = pageNames.map((n) => statics.nameOf(doc.head, n));
    // The chunk keeps its own list of the layers it draws: one may leave the engine's cache meanwhile.
    const own = new Map<string, StaticPage>();
    const fresh = new Map<string, number>();
    names.forEach((name, i) => {
      if (own.has(name) || fresh.has(name)) return;
      const kept = statics.get(name);
      if (kept) own.set(name, kept);
      else fresh.set(name, i);
    });
    // Each static layer is printed by itself, so that its drawing and its fonts' subsets are the same
    // whatever else the chunk holds: the same input gives the same bytes, whichever render printed it first.
    for (const [name, index] of fresh) {
      await this.evaluate(page, `${STATIC_LAYER}([${index}])`);
      await step('rules', () => this.evaluate(page, drawRules(STATIC_RULES)));
      await this.evaluate(page, `${STATIC_PART}('under')`);
      const under = await step('print static layer', () => this.pdf(page));
      await this.evaluate(page, `${STATIC_PART}('over')`);
      const over = await step('print static layer', () => this.pdf(page));
      await this.evaluate(page, END_LAYER);
      own.set(name, { under, over });
      statics.set(name, { under, over });
    }
    // The variable layer lays out without the static cells' borders (STATIC_CELLS); its boxes of plain text
    // in the pinned fonts are written (text-runs.ts, engine/fonts/glyph-runs.ts, the engine's writer), and
    // Chromium prints the others, on the pages that have any.
    await step('static cells', () => this.evaluate(page, drawRules(STATIC_CELLS, false)));
    const writer = this.options.writeVariableLayer;
    let placed: (GlyphPage | null)[] = names.map(() => null);
    if (writer && !chromiumText) {
      const texts = pageTexts(await step('text runs', () => this.evaluate(page, `${TEXT_RUNS}(${JSON.stringify(pageNames)})`)));
      placed = texts.map((t) => {
        const glyphs = placeGlyphs(t);
        return glyphs.boxes.some((b) => b !== null) ? glyphs : null;
      });
    }
    const left = placed.flatMap((g, i) => (g && g.boxes.every((b) => b !== null) ? [] : [i]));
    let printed: Uint8Array | undefined;
    if (left.length) {
      await step('variable layer', async () => {
        if (left.length < names.length) await this.evaluate(page, `${KEEP_SHEETS}(${JSON.stringify(left)})`);
        await this.evaluate(page, drawRules(VARIABLE_RULES, true, 'data-layer-rules'));
        // the boxes written are left out of the pages Chromium prints
        const skip = left.map((i) => placed[i]?.boxes.flatMap((b, k) => (b ? [k] : [])) ?? []);
        await this.evaluate(page, `${VARIABLE_LAYER}(${JSON.stringify(left.map((i) => pageNames[i]))}, ${JSON.stringify(skip)})`);
      });
      // The next chunk's PUT_BODY takes the variable layer's style away (END_LAYER).
      printed = await step('print (page.pdf)', () => this.pdf(page));
    }
    const pdf =
      writer === undefined || placed.every((g) => g === null)
        ? (printed as Uint8Array)
        : await step('write text layer', () =>
            writer(
              placed,
              names.map((n) => (own.get(n) as StaticPage).under),
              printed,
            ),
          );
    return { pdf, layers: { names, statics: own, ...(markup ? { markup } : {}) } };
  }

  private pdf(page: Page): Promise<Uint8Array> {
    return printToPdf(page, this.timeoutMs);
  }

  /**
   * Waits until every image of the body just put in has loaded (or failed: a seal that fails shows as
   * missing in the proof, as with a page load). Asked from here, a few milliseconds apart: a promise in a
   * hidden tab (img.decode) can wait for a frame that never comes.
   */
  private async imagesLoaded(page: Page): Promise<void> {
    const until = performance.now() + this.timeoutMs;
    while (((await this.evaluate(page, IMAGES_LOADING)) as number) > 0) {
      if (performance.now() > until) throw new PrintError('RENDER', `images did not load within ${this.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Runs an in-page script through DevTools, within the chunk's time limit: a page that stops answering
   * fails the chunk (the supervisor then prints it again in a fresh browser) instead of holding its tab
   * until DevTools' own much longer limit.
   */
  private async evaluate(page: Page, script: string | ((arg: string) => unknown), arg?: string): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PrintError('RENDER', `the page did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([typeof script === 'string' ? page.evaluate(script) : page.evaluate(script, arg ?? ''), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async openTab(): Promise<Page> {
    const page = await this.browser.newPage();
    page.setDefaultTimeout(this.timeoutMs);
    await page.emulateMediaType('print');
    // No script of a document ever runs (the engine's own checks run through DevTools, not the page);
    // with the documents' Content-Security-Policy this is two locks on the same door.
    await page.setJavaScriptEnabled(false);
    return page;
  }

  /**
   * Closes a tab whose print was cancelled, or that has printed freshTabAfterPages pages, and puts a fresh one in
   * its place. Closing is the only way to stop Chromium mid-load or mid-print: DevTools has no call that
   * cancels Page.printToPDF.
   */
  private replaceTab(page: Page): void {
    void page.close().catch(() => undefined);
    this.openTab().then(
      (fresh) => {
        if (this.counterTabs.has(page)) this.counterTabs.add(fresh);
        // A new tab comes to the front: the empty one goes back there, so the new one prints hidden.
        void this.front?.bringToFront().catch(() => undefined);
        this.release(fresh);
      },
      (err: unknown) => {
        this.broken = new PrintError('RENDER', `a tab could not be reopened: ${(err as Error).message}`, { cause: err });
        for (const w of this.waiting.splice(0)) w.fail(this.broken);
      },
    );
  }

  /**
   * A free tab for `lane`: one that has `head` loaded already, else one that has none, else the one free
   * the longest. A layout's first print in a tab loads its fonts and CSS (about 120 ms), which counter
   * prints of two layouts in turn would otherwise pay every time, in the one tab last freed.
   */
  private acquire(lane: Lane, signal: AbortSignal | undefined, head: string): Promise<Page> {
    const take = (tabs: Page[]) => {
      let i = tabs.findIndex((t) => this.heads.get(t) === head);
      if (i < 0) i = tabs.findIndex((t) => !this.heads.has(t));
      return tabs.splice(Math.max(i, 0), 1)[0];
    };
    const page = (lane === 'counter' ? take(this.counterIdle) : undefined) ?? take(this.idle);
    if (page) return Promise.resolve(page);
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const waiter = {
        lane,
        take: (p: Page) => {
          signal?.removeEventListener('abort', leave);
          resolve(p);
        },
        fail: (err: Error) => {
          signal?.removeEventListener('abort', leave);
          reject(err);
        },
      };
      // A print that is cancelled while it waits gives up its place in the line.
      const leave = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(cancelledError(signal));
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Gives a tab to the first counter print waiting, else (unless it is a counter tab) the first batch print. */
  private release(page: Page): void {
    const counter = this.counterTabs.has(page);
    let i = this.waiting.findIndex((w) => w.lane === 'counter');
    if (i < 0 && !counter) i = this.waiting.findIndex((w) => w.lane === 'batch');
    const next = i >= 0 ? this.waiting.splice(i, 1)[0] : undefined;
    if (next) next.take(page);
    else (counter ? this.counterIdle : this.idle).push(page);
  }
}

/**
 * `work`, or CANCELLED as soon as `signal` aborts (then `onAbort` runs first, to stop the work); a later
 * failure of the abandoned work is ignored.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(cancelledError(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    // A listener added to a signal that has already aborted never runs.
    if (signal.aborted) abort();
  });
}

// In-page scripts are plain strings: a function passed to evaluate() would be sent as its transpiled text,
// which under tsx or vitest may call helpers that do not exist in the page.

/**
 * Puts a chunk's pages into the loaded document, with no layer's style left from the last (layers.ts).
 * Made with Function so that its text is exactly this,
 * whatever tsx or vitest would make of a function written here (see above).
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const PUT_BODY = new Function('html', `${END_LAYER}; document.body.innerHTML = html;`) as (html: string) => void;

/** Waits for the fonts the document uses; answers the families that failed to load. */
const FAILED_FONTS = `document.fonts.ready.then(() =>
  [...document.fonts].filter((f) => f.status === 'error').map((f) => f.family))`;

/** How many images (seals) of the body are still loading. */
const IMAGES_LOADING = `[...document.images].filter((img) => !img.complete).length`;

/**
 * Every element marked `data-field` is a fixed box; text still wider or taller than its box after fitting
 * would be cut off by the page, so it is reported instead of printed. Answers [{record, field}].
 */
const OVERFLOWING_FIELDS = `[...document.querySelectorAll('[data-field]')]
  .filter(${OVERFLOWS})
  .map((el) => ({ record: Number(el.closest('[data-record]')?.dataset.record ?? -1), field: el.dataset.field ?? '' }))`;
