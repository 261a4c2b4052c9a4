import type { Browser, Page } from 'puppeteer-core';
import { PrintError } from '../errors.ts';
import type { AssetServer } from './asset-server.ts';
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

/**
 * A fixed number of long-lived tabs of one browser. Each document goes to the next free tab; a tab is
 * navigated to a new document for every chunk, which is cheap because the fonts stay in the browser cache.
 */
export class TabPool {
  private readonly idle: Page[] = [];
  private readonly waiting: ((page: Page) => void)[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  private constructor(private readonly assets: AssetServer, private readonly timeoutMs: number) {}

  /** Opens `size` tabs in `browser`. */
  static async open(browser: Browser, assets: AssetServer, size: number, timeoutMs: number): Promise<TabPool> {
    const pool = new TabPool(assets, timeoutMs);
    for (let i = 0; i < size; i++) {
      const page = await browser.newPage();
      page.setDefaultTimeout(timeoutMs);
      await page.emulateMediaType('print');
      // No script of a document ever runs (the engine's own checks run through DevTools, not the page);
      // with the documents' Content-Security-Policy this is two locks on the same door.
      await page.setJavaScriptEnabled(false);
      pool.idle.push(page);
    }
    return pool;
  }

  /**
   * Loads `html` in a free tab, checks its fonts and boxes, and prints it to PDF. With `checkOnly` (a batch
   * already known to fail) it only checks the boxes, so every problem is still found at less cost.
   */
  async print(html: string, checkOnly = false): Promise<PrintedChunk> {
    this.inFlight++;
    const page = await this.acquire();
    const doc = this.assets.publish(html);
    try {
      await page.goto(doc.url, { waitUntil: 'load', timeout: this.timeoutMs });
      const fontErrors = (await page.evaluate(FAILED_FONTS)) as string[];
      if (fontErrors.length) {
        throw new PrintError('RENDER', `pinned font(s) failed to load in Chromium: ${fontErrors.join(', ')}`);
      }
      await page.evaluate(FIT_FIELDS);
      const overflowing = (await page.evaluate(OVERFLOWING_FIELDS)) as OverflowingField[];
      if (overflowing.length || checkOnly) return { pdf: new Uint8Array(), overflowing };
      const pdf = await page.pdf({
        preferCSSPageSize: true,
        printBackground: true,
        tagged: false,
        outline: false,
        timeout: this.timeoutMs,
      });
      return { pdf, overflowing };
    } finally {
      doc.withdraw();
      this.release(page);
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once no print is running or waiting in this pool. */
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private acquire(): Promise<Page> {
    const page = this.idle.pop();
    if (page) return Promise.resolve(page);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(page: Page): void {
    const next = this.waiting.shift();
    if (next) next(page);
    else this.idle.push(page);
  }
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
