/** The queue is full: the caller answers 429 with Retry-After. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the render queue is full');
  }
}

/** The render did not finish within its time limit: the caller answers 503. */
export class RenderTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`the render took longer than ${limitMs} ms`);
  }
}

/**
 * A bounded queue for synchronous renders: at most `concurrency` run, at most `maxWaiting` wait, and any
 * more are refused at once, so latency stays bounded under load instead of growing without limit.
 */
export class RenderQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number, private readonly maxWaiting: number, private readonly timeLimitMs: number) {}

  /** Renders waiting for their turn. */
  get depth(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` in its turn. Throws QueueFullError when too many wait, RenderTimeoutError when the task's
   * turn and run together pass the time limit (the task is then abandoned and its result dropped).
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency && this.waiting.length >= this.maxWaiting) throw new QueueFullError(1);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RenderTimeoutError(this.timeLimitMs)), this.timeLimitMs);
    });
    const turn = (async () => {
      if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.running++;
      try {
        return await task();
      } finally {
        this.running--;
        this.waiting.shift()?.();
      }
    })();
    turn.catch(() => undefined); // a task abandoned at its time limit may still fail later
    try {
      return await Promise.race([turn, limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}
