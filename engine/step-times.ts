/** Time spent in one step of rendering, summed over every chunk and tab. */
export interface StepTime {
  /** Milliseconds, summed over parallel tabs (so the total may exceed the wall time). */
  ms: number;
  /** How many times the step ran. */
  count: number;
}

/**
 * Where an engine's time goes, step by step (load, fit, print, write …): always on, because taking the
 * time of a step costs two clock reads. `bench --profile` prints it; nothing else depends on it.
 */
export class StepTimes {
  private readonly steps = new Map<string, StepTime>();

  /** Adds `ms` to `step`. */
  add(step: string, ms: number): void {
    const s = this.steps.get(step) ?? { ms: 0, count: 0 };
    s.ms += ms;
    s.count++;
    this.steps.set(step, s);
  }

  /** Runs `work` and adds its time, finished or failed, to `step`. */
  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.add(step, performance.now() - t0);
    }
  }

  /** The steps so far, in the order they first ran. */
  snapshot(): Record<string, StepTime> {
    return Object.fromEntries([...this.steps].map(([k, v]) => [k, { ...v }]));
  }

  /** Forgets every step (a bench measures after its warm-up). */
  reset(): void {
    this.steps.clear();
  }
}
