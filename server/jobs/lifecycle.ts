import type { Insurers } from '../../engine/index.ts';
import type { Logger } from 'pino';
import { PrintError, type Engine, type Layout, type PrintErrorCode } from '../../engine/index.ts';
import type { Metrics } from '../metrics.ts';
import { assembleJob, printChunk as printRecords } from './chunk-work.ts';
import { bytesNeeded, isDiskFull, splitFiles, type DiskSpace } from './disk-space.ts';
import type { ChunkMeta, Job, JobMailing } from './job-model.ts';
import type { JobFiles } from './storage.ts';

/*
 * A batch job's life, the one way for every way of running one: printing a chunk and committing it,
 * counting it, the disk room each step needs, assembling the result, and ending the job (done or failed,
 * once) with the failure text its client reads. The embedded runner (job-runner.ts) and the workers of a
 * cluster (redis/workers.ts) only decide where a chunk runs, and how it is retried or leased.
 */

/** Where in a job a failure happened: printing chunk `chunk` (0-based), assembling it, or before either. */
export type FailedAt = { chunk: number } | 'assembly' | 'start';

/** Codes whose messages are made of the service's own facts (Chromium, the machine, the disk), never of input. */
const OWN_FACTS: ReadonlySet<PrintErrorCode> = new Set(['RENDER', 'SETUP', 'DISK_FULL']);

/**
 * Why a job failed, as its client may read it (status, webhook) and the log may keep it: the code and
 * message of an error whose message is made of the service's own facts, first line only (a Playwright
 * message goes on with its call log); the code alone where a message may quote what was received (a
 * record's value, an option); `internal error` for anything else (an errno names paths, a SyntaxError
 * quotes the JSON it could not read). Never a stack, never a record's value.
 */
export function failureReason(err: unknown): string {
  if (!(err instanceof PrintError)) return 'internal error';
  return OWN_FACTS.has(err.code) ? `${err.code}: ${err.message.split('\n')[0] ?? ''}` : err.code;
}

/** A failure's reason (failureReason, or a fact of its own) told by where it happened. */
export function failedAt(at: FailedAt, reason: string): string {
  if (at === 'start') return reason;
  if (at === 'assembly') return `the job could not be assembled: ${reason}`;
  return `chunk ${at.chunk + 1} could not be printed: ${reason}`;
}

/** The text a failure `err` at `at` leaves in a job (Job.error): the one rule, for every way of running jobs. */
export function failureText(err: unknown, at: FailedAt = 'start'): string {
  return failedAt(at, failureReason(err));
}

/**
 * Reasons of a cluster's failures that no error carries (failedAt tells where): a job.json unreadable on
 * every try of a chunk, a task whose workers kept dying, an assembly that failed past its processor.
 */
export const CLUSTER_REASONS = {
  jobUnread: 'its job could not be read',
  chunkStalled: 'its workers stopped while printing it more than 3 times',
  assemblyStalled: 'its workers stopped while assembling it more than 3 times',
  unrecovered: 'an error it could not recover from (the worker log has it)',
} as const;

/** A failure in one step of a job, told by where it happened (inStep). */
export class StepFailure extends Error {
  constructor(
    readonly at: FailedAt,
    readonly error: unknown,
  ) {
    super('a step of a job failed', { cause: error });
  }
}

/** Runs one step of a job, so that its failure is told by where it happened (a chunk, the assembly). */
export async function inStep<T>(at: FailedAt, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new StepFailure(at, error);
  }
}

/** A job's progress: records printed, records rejected, and their problems. */
export interface Progress {
  done: number;
  rejected: number;
  rejectionCount: number;
}

/** What a printed chunk adds to its job's progress. */
export function progressOf(meta: ChunkMeta): Progress {
  return {
    done: meta.printed.length,
    rejected: new Set(meta.rejections.map((r) => r.record)).size,
    rejectionCount: meta.rejections.length,
  };
}

/** Adds progress counted elsewhere (a chunk, or Redis while the job printed) to the job's. */
export function addProgress(job: Job, p: Progress): void {
  job.done += p.done;
  job.rejected += p.rejected;
  job.rejectionCount += p.rejectionCount;
}

/** Who hears that a job has ended for good: its webhook (Webhooks), prepared before the save and sent after it. */
export interface JobEnds {
  /** Called as the job ends, before that is saved: what it sets is saved with it. */
  prepare(job: Job): void;
  /** Called once the end is saved. */
  notify(job: Job): void;
}

/** How a job ends: done (no error), or failed with the text its client reads. */
export interface Ending {
  error?: string;
  /** The error's code, for the log. */
  code?: string;
  /** A failure that passes by itself (a full disk): the job resumes when room returns, so it has not ended for good. */
  retryable?: boolean;
}

/** What an adapter adds to a job's end. */
export interface EndHooks {
  /** Claims the end for this caller among all that may end the job (a cluster: a fence in Redis). */
  claim?: (state: 'done' | 'failed') => Promise<boolean>;
  /** What the job printed before it failed, counted elsewhere while it ran (Redis). */
  progress?: () => Promise<Progress>;
  /** Runs once the end is saved, before the webhook is sent. */
  saved?: () => Promise<void>;
}

/** What a job's life needs. */
export interface LifecycleOptions {
  store: JobFiles;
  /** The layouts jobs name (their sides size a job's need for disk room). */
  layouts: Map<string, Layout>;
  disk: DiskSpace;
  metrics: Metrics;
  log: Logger;
  /** Problems a job's status lists (the manifest has all). */
  problemsShown: number;
  /** The press's ICC profile for `color=press` (SHIKAKU_PRESS_ICC); Ghostscript's CMYK profile when absent. */
  pressIcc?: string | undefined;
  /** The insurer profiles: a registered job's receipt list names its sender from them. */
  insurers?: Insurers | undefined;
  ends?: JobEnds | undefined;
  /**
   * The store keeps in memory a job a full disk refused to save (the embedded JobStore): a failure then
   * ends all the same, and job.json catches up at the next save or start.
   */
  keepsUnsaved?: boolean;
}

/** The steps of a job's life, for the embedded runner and the cluster's workers alike. */
export class JobLifecycle {
  constructor(private readonly o: LifecycleOptions) {}

  /**
   * Bytes the job still needs: its pages still to print twice (chunks and result), its manifest, and a
   * split job's files (all written at the end, whatever is printed already). Assembling, no page is left
   * to print.
   */
  roomNeeded(job: Job, o: { assembling?: boolean } = {}): number {
    const sides = this.o.layouts.get(job.layout)?.sides.length ?? 2;
    const left = o.assembling ? 0 : Math.max(0, job.total - job.rejected - job.done);
    return bytesNeeded(left * sides, job.total, splitFiles(job.output?.split, job.total - job.rejected));
  }

  /**
   * The DISK_FULL error a failure amounts to (the error itself, or a disk that refused a write while `needed`
   * bytes were still to come), or undefined for another failure. Its room is then waited for.
   */
  shortage(err: unknown, needed: number): PrintError | undefined {
    if (err instanceof PrintError && err.code === 'DISK_FULL') return err;
    return isDiskFull(err) ? this.o.disk.short(needed) : undefined;
  }

  /**
   * Prints chunk `n` and commits it (JobFiles.writeChunk) once its room is there: a chunk printed twice
   * commits whole files of one print. Answers its meta, for the caller to count where it counts progress.
   */
  async printChunk(
    engine: Engine,
    layout: Layout,
    jobId: string,
    n: number,
    signal: AbortSignal,
    mailing?: JobMailing,
  ): Promise<ChunkMeta> {
    // A mailing chunk's envelopes are numbered on from the chunks before it, under the job's run id.
    const chunkMailing = mailing && { ...mailing, firstEnvelope: mailing.firstEnvelopes?.[n] ?? 1 };
    const { pdf, meta } = await printRecords(engine, layout, this.o.store.chunkInput(jobId, n), signal, this.o.metrics, chunkMailing);
    this.o.disk.require(pdf.length * 2);
    await this.o.store.writeChunk(jobId, n, pdf, meta);
    return meta;
  }

  /** Adds a committed chunk to the job's progress; its status lists the first problems. */
  count(job: Job, meta: ChunkMeta): void {
    addProgress(job, progressOf(meta));
    job.rejections.push(...meta.rejections.slice(0, Math.max(0, this.o.problemsShown - job.rejections.length)));
  }

  /** Joins the printed chunks into the result and the manifest (chunk-work.ts) once its room is there. */
  async assemble(job: Job, layout: Layout, signal?: AbortSignal): Promise<void> {
    this.o.disk.require(this.roomNeeded(job, { assembling: true }));
    await assembleJob(this.o.store, job, layout, {
      problemsShown: this.o.problemsShown,
      pressIcc: this.o.pressIcc,
      insurers: this.o.insurers,
      signal,
    });
  }

  /**
   * How a failure ends a job: for a full disk, its message and retryable (the job resumes when its room
   * returns); else the failure text (failureText), told by the step it happened in (`at`, or inStep's).
   */
  failure(job: Job, err: unknown, at: FailedAt = 'start'): Ending {
    const step = err instanceof StepFailure ? err : { at, error: err };
    const error = step.error;
    const full = this.shortage(error, this.roomNeeded(job));
    if (full) return { error: full.message, code: full.code, retryable: true };
    return { error: failureText(error, step.at), code: error instanceof PrintError ? error.code : 'INTERNAL' };
  }

  /**
   * Ends a job: done (no error), or failed. An end for good (not retryable) is ended once: a caller whose
   * claim is refused leaves a job already ended as it is (one whose finisher died before saving is ended
   * again). Its webhook is prepared, the job saved, then the webhook sent; a done job's work files (personal
   * data) are dropped after the save, so a restart in between never finds a job that needs chunks it no
   * longer has. Answers whether this call ended it.
   */
  async end(job: Job, ending: Ending = {}, hooks: EndHooks = {}): Promise<boolean> {
    const state = ending.error === undefined ? 'done' : 'failed';
    if (hooks.claim && !(await hooks.claim(state))) {
      const now = this.o.store.get(job.id);
      if (!now || now.state === 'done' || now.state === 'failed') return false;
    }
    const forGood = ending.retryable !== true;
    job.state = state;
    if (ending.error !== undefined) {
      job.error = ending.error;
      if (!forGood) job.retryable = true;
      if (hooks.progress) addProgress(job, await hooks.progress());
      this.o.log.error({ job: job.id, ...(ending.code ? { code: ending.code } : {}), reason: ending.error }, 'job failed');
    }
    if (forGood) this.o.ends?.prepare(job);
    try {
      await this.o.store.save(job);
    } catch (err) {
      if (state === 'done' || !this.o.keepsUnsaved) throw err;
    }
    await hooks.saved?.();
    if (forGood) this.o.ends?.notify(job);
    if (state === 'done') {
      this.dropWorkFiles(job.id);
      this.o.log.info({ job: job.id, printed: job.done, rejected: job.rejected }, 'job done');
    }
    return true;
  }

  /** Drops a done job's work files; if that fails, they wait for the next start (embedded) or for retention. */
  private dropWorkFiles(id: string): void {
    try {
      this.o.store.dropWorkFiles(id);
    } catch (err) {
      this.o.log.warn({ job: id, code: (err as NodeJS.ErrnoException).code }, 'work files of a done job not removed');
    }
  }
}
