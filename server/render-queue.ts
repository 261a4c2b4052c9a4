import { PrintError } from '../engine/index.ts';

/** The queue is full (BUSY): the caller answers 429 with Retry-After. */
const queueFull = () => new PrintError('BUSY', 'the render queue is full; retry after the time in Retry-After', { retryAfterS: 1 });

/** The render did not finish within its time limit (TIMED_OUT): the caller answers 503. */
const timedOut = (limitMs: number) => new PrintError('TIMED_OUT', `the render took longer than ${limitMs} ms`, { facts: { limitMs } });

/**
 * A bounded queue for synchronous renders: at most `concurrency` run, at most `maxWaiting` wait, and any
 * more are refused at once, so latency stays bounded under load instead of growing without limit.
 */
export class RenderQueue {
  private running = 0;
  private readonly waiting: { start: () => void; abandoned: boolean }[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
    private readonly timeLimitMs: number,
  ) {}

  /** Renders waiting for their turn. */
  get depth(): number {
    return this.waiting.filter((w) => !w.abandoned).length;
  }

  /**
   * Runs `task` in its turn. Throws BUSY when too many wait, TIMED_OUT when the task's
   * turn and run together pass the time limit. A task whose time runs out (or whose `caller` signal
   * aborts) while it waits never starts; one that is running is told through its AbortSignal, and its
   * result is dropped.
   */
  async run<T>(task: (signal: AbortSignal) => Promise<T>, caller?: AbortSignal): Promise<T> {
    if (this.running >= this.concurrency && this.depth >= this.maxWaiting) throw queueFull();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let entry: { start: () => void; abandoned: boolean } | undefined;
    let onCaller: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      const give = (reason: Error) => {
        if (entry) entry.abandoned = true;
        abort.abort();
        reject(reason);
      };
      timer = setTimeout(() => give(timedOut(this.timeLimitMs)), this.timeLimitMs);
      // The caller gave up (its client left): the work stops as at the time limit.
      onCaller = () => give(new PrintError('CANCELLED', 'the caller gave up'));
      if (caller?.aborted) onCaller();
      else caller?.addEventListener('abort', onCaller, { once: true });
    });
    const turn = (async () => {
      if (this.running >= this.concurrency) {
        await new Promise<void>((start) => {
          entry = { start, abandoned: false };
          this.waiting.push(entry);
        });
      }
      this.running++;
      try {
        return await task(abort.signal);
      } finally {
        this.running--;
        this.startNext();
      }
    })();
    turn.catch(() => undefined); // a task abandoned at its time limit may still fail later
    try {
      return await Promise.race([turn, limit]);
    } finally {
      clearTimeout(timer);
      if (onCaller) caller?.removeEventListener('abort', onCaller);
    }
  }

  /** Starts the next waiting task, dropping those whose time ran out while they waited. */
  private startNext(): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (!next.abandoned) return next.start();
    }
  }
}
