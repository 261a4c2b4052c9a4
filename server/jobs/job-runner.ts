import type { Logger } from 'pino';
import { PrintError, forEachLimited, throwIfCancelled, getLayout, type Engine, type Insurers, type Layout } from '../../engine/index.ts';
import type { Metrics } from '../metrics.ts';
import type { DiskSpace } from './disk-space.ts';
import type { Job } from './job-model.ts';
import type { JobStore } from './job-store.ts';
import { JobLifecycle, inStep } from './lifecycle.ts';
import { putInSheetOrder } from './sheet-order.ts';

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
  /** The insurer profiles: a registered job's receipt list names its sender from them. */
  insurers?: Insurers | undefined;
  /** Called as a job ends for good, done or failed, before that is saved: what it sets is saved with it (its webhook). */
  onEnding?: ((job: Job) => void) | undefined;
  /** Called once a job has ended for good and that is saved (its webhook is sent). */
  onEnd?: ((job: Job) => void) | undefined;
}

/**
 * The embedded way of running batch jobs: one after another in this process, `concurrency` chunks at a
 * time through the engine (which survives browser crashes by restarting and printing the chunk again).
 * What a job's steps are is lifecycle.ts's; the runner decides only when they run: each printed chunk is
 * kept on disk, so a job interrupted by a stop or a crash resumes where it stopped, and a job failed for a
 * full disk resumes by itself when room returns.
 */
export class JobRunner {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;
  /** The job being run, how to stop it (DELETE of a running job), and when its run has settled. */
  private current: { id: string; abort: AbortController; settled: Promise<unknown> } | undefined;
  private readonly store: JobStore;
  private readonly engine: () => Engine | undefined;
  private readonly disk: DiskSpace;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  /** Chunks of one job printing at once. */
  private readonly concurrency: number;
  /** Every step of a job but where its chunks run: printing, committing, assembling, ending. */
  private readonly life: JobLifecycle;

  constructor(o: RunnerOptions) {
    ({ store: this.store, engine: this.engine, disk: this.disk, metrics: this.metrics, log: this.log } = o);
    this.concurrency = o.concurrency ?? 2;
    this.life = new JobLifecycle({
      store: o.store,
      layouts: o.layouts,
      disk: o.disk,
      metrics: o.metrics,
      log: o.log,
      problemsShown: o.problemsShown,
      pressIcc: o.pressIcc,
      insurers: o.insurers,
      ends: { prepare: (job) => o.onEnding?.(job), notify: (job) => o.onEnd?.(job) },
      keepsUnsaved: true, // the store holds in memory what a full disk refused to save
    });
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
      this.disk.require(this.life.roomNeeded(job));
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
        // Failed for good, or until its room returns (a full disk): lifecycle.ts says which, and in what words.
        await this.life
          .end(job, this.life.failure(job, err))
          .catch((e: unknown) => this.log.error({ job: job.id, code: (e as NodeJS.ErrnoException).code }, 'failed job not ended'));
      } finally {
        this.current = undefined;
      }
    }
    this.metrics.jobsWaiting.set(this.queue.length);
  }

  private async run(job: Job, signal: AbortSignal): Promise<void> {
    const engine = this.engine();
    if (!engine) throw new PrintError('RENDER', 'no engine');
    const layout = getLayout(engine.layouts, job.layout);
    this.disk.require(this.life.roomNeeded(job));
    job.state = 'running';
    await this.store.save(job);
    if (await putInSheetOrder(this.store, job, layout)) this.log.info({ job: job.id }, 'input put in sheet order for cut-stack imposition');
    this.log.info({ job: job.id, layout: job.layout, records: job.total, chunks: job.chunks }, 'job started');
    // The first failure stops every tab from taking chunks, as a stop or a cancel does; the job fails only
    // once the chunks printing have settled, so no chunk of a failed job is still printing when it is retried.
    const chunks = Array.from({ length: job.chunks }, (_, n) => n);
    await forEachLimited(chunks, this.concurrency, async (n) => {
      if (this.stopping || signal.aborted || this.store.chunkPrinted(job.id, n)) return;
      await inStep({ chunk: n }, async () => {
        this.life.count(job, await this.life.printChunk(engine, layout, job.id, n, signal, job.mailing));
        await this.store.save(job);
      });
    });
    if (this.stopping) throw new Error('stopping');
    throwIfCancelled(signal);
    await inStep('assembly', () => this.life.assemble(job, layout));
    await this.life.end(job);
  }
}
