import type { Logger } from 'pino';
import { PrintError, throwIfCancelled, getLayout, type Engine, type Layout } from '../../engine/index.ts';
import type { Metrics } from '../metrics.ts';
import { bytesNeeded, isDiskFull, splitFiles, type DiskSpace } from './disk-space.ts';
import { addChunkProgress, assembleJob, printChunk, putInSheetOrder } from './chunk-work.ts';
import type { Job, JobStore } from './job-store.ts';

/** What a runner works with. */
export interface RunnerOptions {
  store: JobStore;
  /** The layouts jobs name (their sides size a job's need for disk room). */
  layouts: Map<string, Layout>;
  engine: () => Engine | undefined;
  disk: DiskSpace;
  metrics: Metrics;
  log: Logger;
  problemsShown: number;
  concurrency?: number;
  /** The press's ICC profile for `color=press` (SHIKAKU_PRESS_ICC); Ghostscript's CMYK profile when absent. */
  pressIcc?: string | undefined;
  /** Called as a job ends for good, done or failed, before that is saved: what it sets is saved with it (its webhook). */
  onEnding?: ((job: Job) => void) | undefined;
  /** Called once a job has ended for good and that is saved (its webhook is sent). */
  onEnd?: ((job: Job) => void) | undefined;
}

/**
 * Runs batch jobs one after another, each chunk by chunk through the engine (which survives browser
 * crashes by restarting and printing the chunk again). Each printed chunk is kept on disk, so a job
 * interrupted by a stop or a crash resumes where it stopped; at the end the chunks are joined in order
 * into result.pdf (or result.zip of split files) and every input record is accounted for in manifest.json. A full disk fails the job
 * with the room it lacks; it resumes by itself when room returns.
 */
export class JobRunner {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly onEnd: ((job: Job) => void) | undefined;
  private readonly onEnding: ((job: Job) => void) | undefined;
  /** The job being run, how to stop it (DELETE of a running job), and when its run has settled. */
  private current: { id: string; abort: AbortController; settled: Promise<unknown> } | undefined;
  private readonly store: JobStore;
  private readonly layouts: Map<string, Layout>;
  private readonly engine: () => Engine | undefined;
  private readonly disk: DiskSpace;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  /** Problems a job's status lists (the manifest has all). */
  private readonly problemsShown: number;
  private readonly pressIcc: string | undefined;
  /** Chunks of one job printing at once. */
  private readonly concurrency: number;

  constructor(o: RunnerOptions) {
    ({
      store: this.store,
      layouts: this.layouts,
      engine: this.engine,
      disk: this.disk,
      metrics: this.metrics,
      log: this.log,
      problemsShown: this.problemsShown,
    } = o);
    this.concurrency = o.concurrency ?? 2;
    this.pressIcc = o.pressIcc;
    this.onEnd = o.onEnd;
    this.onEnding = o.onEnding;
    this.disk.on('recovered', () => void this.resumeRetryable());
  }

  /** Queues a job (new, or unfinished after a restart) and starts work when idle. */
  enqueue(id: string): void {
    if (this.queue.includes(id)) return;
    this.queue.push(id);
    this.metrics.jobsWaiting.set(this.queue.length + (this.running ? 1 : 0));
    this.kick();
  }

  /** Starts the loop if there is work and an engine. */
  kick(): void {
    if (this.running || this.stopping || !this.engine() || this.queue.length === 0) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  /**
   * Takes a job out of the queue, or stops it while it runs (its chunks in Chromium are stopped) and
   * answers once it has stopped: then nothing of it is being written, and it may be deleted.
   */
  async cancel(id: string): Promise<void> {
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
    if (this.current?.id !== id) return;
    this.current.abort.abort();
    await this.current.settled;
  }

  /**
   * Stops taking chunks, waits up to `graceMs` for those being printed, and answers. Unfinished jobs stay
   * on disk as they are and resume at the next start; a chunk cut off by the grace period prints again.
   */
  async stop(graceMs = Infinity): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = Number.isFinite(graceMs)
      ? new Promise<void>((r) => (timer = setTimeout(r, graceMs)))
      : new Promise<void>(() => undefined);
    await Promise.race([this.running, grace]);
    clearTimeout(timer);
  }

  /**
   * At start: queues the jobs a stop or crash left unfinished, and those that failed for a full disk when
   * their room is there (else the room is waited for, and they resume when it comes).
   */
  async resumeAtStart(): Promise<void> {
    for (const job of this.store.resumable()) {
      if (job.state === 'failed') await this.retry(job);
      else this.enqueue(job.id);
    }
  }

  /** Jobs failed for a full disk go back to the queue once room returns. */
  private async resumeRetryable(): Promise<void> {
    for (const job of this.store.resumable()) if (job.state === 'failed') await this.retry(job);
  }

  /** Puts a job that failed for lack of room back in the queue if its room is there now. */
  private async retry(job: Job): Promise<void> {
    try {
      this.disk.require(this.needed(job));
    } catch {
      return; // still short: the room is waited for, and the job resumes when it comes
    }
    job.state = 'queued';
    delete job.error;
    delete job.retryable;
    // Queued even if the disk refuses this save: the store keeps the state in memory, and running saves it.
    await this.store.save(job).catch(() => undefined);
    this.log.info({ job: job.id }, 'job resumed: disk space returned');
    this.enqueue(job.id);
  }

  private async loop(): Promise<void> {
    while (!this.stopping && this.queue.length) {
      const id = this.queue.shift() as string;
      this.metrics.jobsWaiting.set(this.queue.length + 1);
      const job = this.store.get(id);
      if (!job || job.state === 'done' || job.state === 'failed') continue;
      const abort = new AbortController();
      const run = this.run(job, abort.signal);
      this.current = { id, abort, settled: run.catch(() => undefined) };
      try {
        await run;
      } catch (err) {
        if (this.stopping) return; // resumes at the next start
        if (abort.signal.aborted) {
          this.log.info({ job: job.id }, 'job cancelled');
          continue;
        }
        await this.fail(job, err);
      } finally {
        this.current = undefined;
      }
    }
    this.metrics.jobsWaiting.set(this.queue.length);
  }

  private async fail(job: Job, err: unknown): Promise<void> {
    const full =
      err instanceof PrintError && err.code === 'DISK_FULL' ? err : isDiskFull(err) ? this.disk.short(this.needed(job)) : undefined;
    job.state = 'failed';
    if (full) {
      job.error = full.message;
      job.retryable = true;
    } else {
      job.error = err instanceof PrintError ? `${err.code}: ${err.message}` : 'internal error';
    }
    const code = full ? 'DISK_FULL' : err instanceof PrintError ? err.code : 'INTERNAL';
    this.log.error({ job: job.id, code, ...(full ? { reason: full.message } : {}) }, 'job failed');
    if (!job.retryable) this.onEnding?.(job);
    try {
      await this.store.save(job);
    } catch {
      // a full disk refuses even this: the store keeps it in memory, and the job resumes at the next start
    }
    if (!job.retryable) this.onEnd?.(job);
  }

  /** Bytes the job still needs: its remaining pages twice (chunks and result). */
  private needed(job: Job): number {
    const sides = this.layouts.get(job.layout)?.sides.length ?? 2;
    const left = Math.max(0, job.total - job.rejected - job.done);
    // A split job's files are all written at the end, whatever is printed already.
    return bytesNeeded(left * sides, job.total, splitFiles(job.output?.split, job.total - job.rejected));
  }

  private async run(job: Job, signal: AbortSignal): Promise<void> {
    const engine = this.engine();
    if (!engine) throw new PrintError('RENDER', 'no engine');
    const layout = getLayout(engine.layouts, job.layout);
    this.disk.require(this.needed(job));
    job.state = 'running';
    await this.store.save(job);
    await this.printInSheetOrder(job, layout);
    this.log.info({ job: job.id, layout: job.layout, records: job.total, chunks: job.chunks }, 'job started');
    let next = 0;
    let failure: { error: unknown } | undefined;
    // The first failure stops both workers from taking chunks; the job fails only once both have settled,
    // so no chunk of a failed job is still printing when it is retried.
    const worker = async () => {
      while (!this.stopping && !failure && !signal.aborted && next < job.chunks) {
        const n = next++;
        if (this.store.chunkPrinted(job.id, n)) continue;
        try {
          await this.printChunk(engine, layout, job, n, signal);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    if (failure) throw failure.error;
    if (this.stopping) throw new Error('stopping');
    throwIfCancelled(signal);
    await assembleJob(this.store, job, layout, { problemsShown: this.problemsShown, pressIcc: this.pressIcc });
    job.state = 'done';
    this.onEnding?.(job);
    await this.store.save(job);
    this.onEnd?.(job);
    // The chunks are in result.pdf now; dropped only after the job is saved done, so a restart in between
    // never finds a job that needs chunks it no longer has (a restart after it drops them: JobStore.recover).
    try {
      this.store.dropWorkFiles(job.id);
    } catch (err) {
      this.log.warn(
        { job: job.id, code: (err as NodeJS.ErrnoException).code },
        'work files of a done job not removed; the next start removes them',
      );
    }
    this.log.info({ job: job.id, printed: job.done, rejected: job.rejected }, 'job done');
  }

  private async printInSheetOrder(job: Job, layout: Layout): Promise<void> {
    if (await putInSheetOrder(this.store, job, layout)) this.log.info({ job: job.id }, 'input put in sheet order for cut-stack imposition');
  }

  /** Prints chunk `n` and keeps it; the job's progress is saved. */
  private async printChunk(engine: Engine, layout: Layout, job: Job, n: number, signal: AbortSignal): Promise<void> {
    const { pdf, meta } = await printChunk(engine, layout, this.store.chunkInput(job.id, n), signal, this.metrics);
    this.disk.require(pdf.length * 2);
    await this.store.writeChunk(job.id, n, pdf, meta);
    addChunkProgress(job, meta, this.problemsShown);
    await this.store.save(job);
  }
}
