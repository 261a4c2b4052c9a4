import { cancelledError } from '../errors.ts';
import type { PrintDocument, PrintedChunk, PrintOptions } from './tab-pool.ts';

/** How counter prints that arrive together are printed together. */
export interface CounterBatchOptions {
  /**
   * How long the first print of a batch waits for others before it starts, in ms, when nothing of its
   * layout is printing (while one is, the next batch gathers anyway). 0: no wait.
   */
  waitMs: number;
  /** Pages one batch prints at most; a print that would pass it starts the next batch. */
  maxPages: number;
  /** Batches of one layout printing at once (in as many tabs); the next one gathers meanwhile. */
  inFlight: number;
}

/** One print waiting in a batch, with its caller's promise. */
interface Part {
  doc: PrintDocument;
  options: PrintOptions;
  resolve: (printed: PrintedChunk) => void;
  reject: (err: Error) => void;
  /** Set once the part's promise is settled (by its result or by its caller giving up). */
  settled: boolean;
}

/** Prints gathered for one call, all of one document head (layout) and one set of static layers. */
interface Batch {
  key: string;
  layers: PrintOptions['layers'];
  parts: Part[];
  pages: number;
  /** Set once its wait is over: it starts as soon as its layout has a batch fewer than `inFlight` printing. */
  waited: boolean;
}

/** The batches of one layout: printing, and waiting their turn (the last of them still gathering). */
interface Lane {
  printing: number;
  waiting: Batch[];
}

/**
 * Micro-batching of counter prints (print once, docs/spec/interfaces.md): prints of one layout that arrive
 * together are printed in one call to Chromium and answered separately. Each call costs about 50 ms
 * whatever it prints (page.pdf's own work and the font subsets), and a card's own part is a few ms, so
 * four people at four counters wait less for one call of four cards than for four calls sharing two cores.
 *
 * A batch starts `waitMs` after its first print arrived, or once fewer than `inFlight` batches of its
 * layout are printing, whichever is later; everything of its layout that arrives before it starts joins it. Its
 * pages come back as one variable layer with each print's page range (PrintedChunk.pageRange). When the
 * batch fails, or a box of it does not fit, each of its prints is printed again alone, so that one
 * person's record never fails another's print and every problem names its own record.
 *
 * Only plain counter prints are batched (CounterBatcher.takes): a check, a report or a draft print goes
 * alone.
 */
export class CounterBatcher {
  /** The batch of each layout that is still gathering. */
  private readonly gathering = new Map<string, Batch>();
  /** Each layout's batches, printing and waiting. */
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly printAlone: (doc: PrintDocument, options: PrintOptions) => Promise<PrintedChunk>,
    private readonly options: CounterBatchOptions,
  ) {}

  /** Whether a print may be batched: a counter print in two layers, asking for nothing but its pages. */
  static takes(options: PrintOptions): boolean {
    return (
      options.lane === 'counter' &&
      options.layers !== undefined &&
      options.checkOnly !== true &&
      options.report !== true &&
      options.fieldBoxes !== true &&
      options.draft !== true &&
      options.staticMarkup !== true
    );
  }

  /** Prints `doc` in the next batch of its layout; rejects with CANCELLED as soon as `signal` aborts. */
  print(doc: PrintDocument, options: PrintOptions): Promise<PrintedChunk> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelledError(signal));
    return new Promise<PrintedChunk>((resolve, reject) => {
      const part: Part = { doc, options, resolve, reject, settled: false };
      const settle = (done: () => void) => {
        if (part.settled) return;
        part.settled = true;
        signal?.removeEventListener('abort', abort);
        done();
      };
      part.resolve = (printed) => settle(() => resolve(printed));
      part.reject = (err: Error) => settle(() => reject(err));
      // A caller that gives up is answered at once; a batch that has not started leaves its part out.
      const abort = () => part.reject(cancelledError(signal));
      signal?.addEventListener('abort', abort, { once: true });
      this.join(part);
    });
  }

  private join(part: Part): void {
    const key = part.doc.head;
    const open = this.gathering.get(key);
    if (open && open.layers === part.options.layers && open.pages + part.doc.pages <= this.options.maxPages) {
      open.parts.push(part);
      open.pages += part.doc.pages;
      return;
    }
    const batch: Batch = { key, layers: part.options.layers, parts: [part], pages: part.doc.pages, waited: false };
    this.gathering.set(key, batch);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { printing: 0, waiting: [] };
      this.lanes.set(key, lane);
    }
    lane.waiting.push(batch);
    setTimeout(() => {
      batch.waited = true;
      this.next(key);
    }, this.options.waitMs);
  }

  /** Starts the waiting batches of a layout whose turn has come, in the order they were opened. */
  private next(key: string): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    while (lane.printing < this.options.inFlight && lane.waiting[0]?.waited) {
      const batch = lane.waiting.shift() as Batch;
      if (this.gathering.get(key) === batch) this.gathering.delete(key);
      lane.printing++;
      void this.run(batch).finally(() => {
        lane.printing--;
        this.next(key);
      });
    }
    if (lane.printing === 0 && lane.waiting.length === 0) this.lanes.delete(key);
  }

  /** Prints a batch that is done gathering, and answers each of its parts. */
  private async run(batch: Batch): Promise<void> {
    const parts = batch.parts.filter((p) => !p.settled);
    if (parts.length === 0) return;
    if (parts.length === 1) return this.alone(parts[0] as Part);
    // The batch stops only when every one of its callers has given up.
    const stop = new AbortController();
    const givenUp = () => {
      if (parts.every((p) => p.options.signal?.aborted)) stop.abort();
    };
    for (const p of parts) p.options.signal?.addEventListener('abort', givenUp, { once: true });
    const doc: PrintDocument = {
      head: batch.key,
      body: parts.map((p) => p.doc.body).join('\n'),
      pages: parts.reduce((n, p) => n + p.doc.pages, 0),
    };
    let printed: PrintedChunk | undefined;
    try {
      printed = await this.printAlone(doc, { lane: 'counter', layers: batch.layers, signal: stop.signal });
    } catch {
      printed = undefined; // each part is printed alone below, and fails or succeeds on its own
    } finally {
      for (const p of parts) p.options.signal?.removeEventListener('abort', givenUp);
    }
    if (!printed?.layers || printed.overflowing.length > 0) {
      await Promise.all(parts.map((p) => this.alone(p)));
      return;
    }
    const { names, statics } = printed.layers;
    let first = 0;
    for (const p of parts) {
      const count = p.doc.pages;
      p.resolve({
        pdf: printed.pdf,
        pageRange: { first, count, total: doc.pages },
        layers: { names: names.slice(first, first + count), statics },
        overflowing: [],
      });
      first += count;
    }
  }

  private async alone(part: Part): Promise<void> {
    if (part.settled) return;
    try {
      part.resolve(await this.printAlone(part.doc, part.options));
    } catch (err) {
      part.reject(err as Error);
    }
  }
}
