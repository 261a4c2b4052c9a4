import type { Job } from './job-model.ts';
import type { JobRunner } from './job-runner.ts';

/**
 * Where batch jobs wait and are printed, as the routes see it. Two ways, chosen once at start: the
 * embedded runner in this process (no SHIKAKU_REDIS_URL), or BullMQ on Redis, where any worker on any
 * machine prints any chunk (redis/redis-queue.ts). A job's folder is on the data folder either way.
 */
export interface JobQueue {
  readonly mode: 'embedded' | 'redis';
  /** Queues a job just taken in (its folder is committed): a failure here means the job was not queued. */
  enqueue(job: Job): Promise<void>;
  /** The job as its status shows it now: its progress while it prints may live elsewhere than job.json. */
  view(job: Job): Promise<Job>;
  /** Stops a job, queued or printing, and answers once nothing of it is printing any more. */
  cancel(id: string): Promise<void>;
  /** What the queue adds to /readyz: whether jobs can be taken, and the facts behind it. */
  readiness(): Promise<{ ready: boolean; facts: Record<string, unknown> }>;
  /** Brings the queue's gauges up to date before /metrics is read. */
  collect(): Promise<void>;
  /**
   * Upkeep, run at start and then now and then: what a crash left half-done is put right (Redis mode: a
   * job whose folder was committed but whose tasks never reached Redis is queued again).
   */
  upkeep(): Promise<void>;
  /** Runs `fn` with the lock `name` held by this instance alone among all that share the data folder. */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Stops taking work, lets what runs finish within `graceMs`, and lets go of what it holds. */
  stop(graceMs: number): Promise<void>;
}

/** The embedded queue: the runner in this process, which also holds the jobs' progress. */
export function embeddedQueue(runner: JobRunner): JobQueue {
  return {
    mode: 'embedded',
    enqueue: (job) => Promise.resolve(runner.enqueue(job.id)),
    view: (job) => Promise.resolve(job),
    cancel: (id) => runner.cancel(id),
    readiness: () => Promise.resolve({ ready: true, facts: {} }),
    collect: () => Promise.resolve(),
    upkeep: () => Promise.resolve(), // the start's recover() and resumeAtStart() do it
    exclusive: (_name, fn) => fn(), // alone on its folder (the data-folder lock): nobody else to exclude
    stop: (graceMs) => runner.stop(graceMs),
  };
}
