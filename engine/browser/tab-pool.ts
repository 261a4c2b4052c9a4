import type { Browser, Page } from 'puppeteer-core';
import { PrintError, cancelledError, throwIfCancelled } from '../errors.ts';
import type { AssetServer } from './asset-server.ts';
import { DRAW_RULES } from './rules.ts';
import { FIT_FIELDS } from './fit-fields.ts';

/** A box whose text did not fit, found in the rendered document. */
export interface OverflowingField {
  record: number;
  field: string;
}

/** What one tab printed from one document. */
export interface PrintedChunk {
  pdf: Uint8Array;
  overflowing: OverflowingField[];
}

/** How one chunk is printed. */
export interface PrintOptions {
  /** Only check the boxes, print nothing: for a batch already known to fail. */
  checkOnly?: boolean | undefined;
  /** Stops the chunk in Chromium: its tab is closed and the print rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
}

/**
 * A fixed number of long-lived tabs of one browser. Each document goes to the next free tab; a tab is
 * navigated to a new document for every chunk, which is cheap because the fonts stay in the browser cache.
 */
export class TabPool {
  private readonly idle: Page[] = [];
  private readonly waiting: { take: (page: Page) => void; fail: (err: Error) => void }[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Set when a closed tab could not be replaced: the browser is failing, and the supervisor must see it. */
  private broken: Error | undefined;

  private constructor(
    private readonly browser: Browser,
    private readonly assets: AssetServer,
    private readonly timeoutMs: number,
  ) {}

  /** Opens `size` tabs in `browser`. */
  static async open(browser: Browser, assets: AssetServer, size: number, timeoutMs: number): Promise<TabPool> {
    const pool = new TabPool(browser, assets, timeoutMs);
    for (let i = 0; i < size; i++) pool.idle.push(await pool.openTab());
    return pool;
  }

  /**
   * Loads `html` in a free tab, checks its fonts and boxes, and prints it to PDF. With `checkOnly` (a batch
   * already known to fail) it only checks the boxes, so every problem is still found at less cost. When
   * `signal` aborts, the print rejects with CANCELLED at once, whether it waits for a tab or runs in one.
   */
  async print(html: string, options: PrintOptions = {}): Promise<PrintedChunk> {
    const { checkOnly = false, signal } = options;
    throwIfCancelled(signal);
    this.inFlight++;
    try {
      const page = await this.acquire(signal);
      if (signal?.aborted) {
        this.release(page);
        throw cancelledError(signal);
      }
      const doc = this.assets.publish(html);
      let cancelled = false;
      try {
        return await untilAborted(this.printIn(page, doc.url, checkOnly), signal, () => (cancelled = true));
      } finally {
        doc.withdraw();
        if (cancelled) this.replaceTab(page);
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

  private async printIn(page: Page, url: string, checkOnly: boolean): Promise<PrintedChunk> {
    await page.goto(url, { waitUntil: 'load', timeout: this.timeoutMs });
    const fontErrors = (await page.evaluate(FAILED_FONTS)) as string[];
    if (fontErrors.length) {
      throw new PrintError('RENDER', `pinned font(s) failed to load in Chromium: ${fontErrors.join(', ')}`);
    }
    await page.evaluate(FIT_FIELDS);
    const overflowing = (await page.evaluate(OVERFLOWING_FIELDS)) as OverflowingField[];
    if (overflowing.length || checkOnly) return { pdf: new Uint8Array(), overflowing };
    await page.evaluate(DRAW_RULES);
    const pdf = await page.pdf({
      preferCSSPageSize: true,
      printBackground: true,
      tagged: false,
      outline: false,
      timeout: this.timeoutMs,
    });
    return { pdf, overflowing };
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
   * Closes a tab whose print was cancelled and puts a fresh one in its place. Closing is the only way to
   * stop Chromium mid-load or mid-print: DevTools has no call that cancels Page.printToPDF.
   */
  private replaceTab(page: Page): void {
    void page.close().catch(() => undefined);
    this.openTab().then(
      (fresh) => this.release(fresh),
      (err: unknown) => {
        this.broken = new PrintError('RENDER', `a tab could not be reopened: ${(err as Error).message}`, { cause: err });
        for (const w of this.waiting.splice(0)) w.fail(this.broken);
      },
    );
  }

  private acquire(signal: AbortSignal | undefined): Promise<Page> {
    const page = this.idle.pop();
    if (page) return Promise.resolve(page);
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const waiter = {
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

  private release(page: Page): void {
    const next = this.waiting.shift();
    if (next) next.take(page);
    else this.idle.push(page);
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

/** Waits for the fonts the document uses; answers the families that failed to load. */
const FAILED_FONTS = `document.fonts.ready.then(() =>
  [...document.fonts].filter((f) => f.status === 'error').map((f) => f.family))`;

/**
 * Every element marked `data-field` is a fixed box; text still wider or taller than its box after fitting
 * would be cut off by the page, so it is reported instead of printed. Answers [{record, field}].
 */
const OVERFLOWING_FIELDS = `[...document.querySelectorAll('[data-field]')]
  .filter((el) => el.scrollWidth > el.clientWidth + 0.5 || el.scrollHeight > el.clientHeight + 0.5)
  .map((el) => ({ record: Number(el.closest('[data-record]')?.dataset.record ?? -1), field: el.dataset.field ?? '' }))`;
