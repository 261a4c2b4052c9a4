import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job as Task } from 'bullmq';
import type { Logger } from 'pino';
import { getLayout, type Engine, type Layout } from '../../../engine/index.ts';
import type { Metrics } from '../../metrics.ts';
import type { DiskSpace } from '../disk-space.ts';
import { endedForGood, type Job } from '../job-model.ts';
import { CLUSTER_REASONS, JobLifecycle, failedAt, failureReason, failureText, progressOf, type Ending } from '../lifecycle.ts';
import type { JobFiles } from '../storage.ts';
import type { Webhooks } from '../webhooks.ts';
import { startWebhookQueue } from './webhook-queue.ts';
import { ASSEMBLE, CHUNKS, PREFIX, STATS_KEY, WORKERS_KEY, chunksKey, connect, jobKey, type ChunkTask } from './connection.ts';

/** What a worker process needs to print chunks and assemble jobs. */
export interface JobWorkersOptions {
  url: string;
  store: JobFiles;
  engine: Engine;
  layouts: Map<string, Layout>;
  disk: DiskSpace;
  metrics: Metrics;
  log: Logger;
  /** Chunks this worker prints at once (its engine's tabs). */
  tabs: number;
  /** A chunk's lease (SHIKAKU_CHUNK_LEASE_S): a worker that stops renewing it loses the chunk to another. */
  leaseMs: number;
  problemsShown: number;
  pressIcc?: string | undefined;
  retentionMs: number;
  webhooks: Webhooks;
  /** What this worker prints with (server/worker.ts buildOf): a job's chunks are printed by one build. */
  build: string;
}

/** A worker's BullMQ workers, running until close(). */
export interface JobWorkers {
  /** This worker's id in the cluster (host, process, random). */
  id: string;
  /**
   * Stops taking tasks and waits for those in hand up to `graceMs`; then the chunks still printing are
   * stopped and put back in the queue at once (not after a stall), and the connections closed.
   */
  close(graceMs: number): Promise<void>;
}

/** How often a worker says it is alive, and how long that holds. */
const HEARTBEAT_MS = 5000;
const HEARTBEAT_TTL_MS = 15_000;
/** A chunk or an assembly short of disk room waits this long and tries again (not counted as a try). */
const DISK_WAIT_MS = 10_000;
/**
 * A chunk of a job of another build is put back for this long (not counted as a try), and the slot that
 * refused it then takes nothing for twice as long: without the pause a worker of another build would cycle
 * through a big job's waiting chunks, a few ms each, and leave the workers of the job's build only delayed
 * ones; with a pause no longer than the delay, it would be first in line again when the chunk comes back.
 */
const OTHER_BUILD_WAIT_MS = 1_000;

/**
 * The BullMQ workers of one `worker` process: `chunks` (as many at once as it has tabs) and `assemble`
 * (one at a time). A chunk may be printed twice (a worker that lost its lease, and the one that took it
 * over); its files are committed whole by one rename (JobStore.writeChunk), its records counted once (the
 * chunkProgress script), and assembly checks every record is accounted for once before writing.
 */
export async function startJobWorkers(o: JobWorkersOptions): Promise<JobWorkers> {
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const redis = connect(o.url, 'worker', o.log);
  const log = o.log.child({ worker: id });
  const keepS = Math.ceil(o.retentionMs / 1000);
  let stopping = false;
  // This worker delivers the cluster's webhooks too, whichever process ended their jobs (closed by Webhooks.stop).
  o.webhooks.deliverThrough(startWebhookQueue({ url: o.url, webhooks: o.webhooks, log, leaseMs: o.leaseMs }));
  const life = new JobLifecycle({
    store: o.store,
    layouts: o.layouts,
    disk: o.disk,
    metrics: o.metrics,
    log,
    problemsShown: o.problemsShown,
    pressIcc: o.pressIcc,
    insurers: o.engine.insurers,
    ends: o.webhooks,
  });

  /** Puts a task back in the queue at once for another worker: this one is stopping. */
  const giveBack = async (task: Task, token: string | undefined, what: Record<string, unknown>) => {
    await task.moveToWait(token);
    log.info(what, task.queueName === CHUNKS ? 'chunk returned' : 'assembly returned');
    return new WaitingError();
  };

  /**
   * A task short of disk room (JobLifecycle.shortage) waits for it: tried again in a while, not counted as a
   * try; the job shows why meanwhile. Undefined for another failure.
   */
  const waitForRoom = async (task: Task, token: string | undefined, jobId: string, err: unknown) => {
    const full = life.shortage(err, 0);
    if (!full) return undefined;
    await redis.hset(jobKey(jobId), 'blockedBy', full.message);
    await task.moveToDelayed(Date.now() + DISK_WAIT_MS, token);
    return new DelayedError();
  };

  const chunkWorker = new Worker<ChunkTask>(
    CHUNKS,
    // Three parameters: BullMQ hands a processor its AbortSignal only when it declares the third.
    async (task: Task<ChunkTask>, token: string | undefined, aborted?: AbortSignal) => {
      const signal = aborted ?? new AbortController().signal;
      const { job: jobId, n } = task.data;
      const state = await redis.hmget(jobKey(jobId), 'cancelled');
      const job = o.store.get(jobId);
      if (state[0] === '1' || (!job && !o.store.hasFolder(jobId))) return { n, skipped: true }; // deleted
      // There but unreadable now (a passing NFS error): tried again, never skipped.
      if (!job) throw new Error(failedAt({ chunk: n }, CLUSTER_REASONS.jobUnread));
      // A job ended for good prints nothing more: its failure removes the chunks not taken, but a big job's
      // step of chunks (job-flow.ts) sent as it failed can still bring some in.
      if (endedForGood(job)) {
        log.info({ job: jobId, chunk: n, state: job.state }, 'chunk skipped: its job has ended');
        return { n, skipped: true };
      }
      // The first worker to take a chunk of a job fixes the job's build; a worker of another build leaves the
      // chunk for one of that build (delayed, not a try), so that every page of a job is printed alike. A job
      // whose build has no worker left waits for one (shikaku_chunks_refused_build_total rises meanwhile).
      await redis.hsetnx(jobKey(jobId), 'build', o.build);
      const build = await redis.hget(jobKey(jobId), 'build');
      if (build !== o.build) {
        await redis.hincrby(STATS_KEY, 'buildRefusals', 1);
        await task.moveToDelayed(Date.now() + OTHER_BUILD_WAIT_MS, token);
        log.info({ job: jobId, chunk: n, build: o.build, jobBuild: build }, 'chunk left for a worker of its build');
        if (!stopping) await new Promise((r) => setTimeout(r, 2 * OTHER_BUILD_WAIT_MS));
        throw new DelayedError();
      }
      await redis.hsetnx(jobKey(jobId), 'startedAt', new Date().toISOString());
      log.info({ job: jobId, chunk: n, stalls: task.stalledCounter, attempt: task.attemptsStarted }, 'chunk started');
      const started = Date.now();
      try {
        const meta = await life.printChunk(o.engine, getLayout(o.layouts, job.layout), jobId, n, signal, job.mailing);
        // Counted once per chunk (the chunkProgress script), however often it was printed.
        const p = progressOf(meta);
        await redis.chunkProgress(chunksKey(jobId), jobKey(jobId), n, p.done, p.rejected, p.rejectionCount, new Date().toISOString());
        log.info({ job: jobId, chunk: n, ms: Date.now() - started, records: meta.printed.length, build: o.build }, 'chunk done');
        return { n, printed: meta.printed.length };
      } catch (err) {
        if (signal.aborted && signal.reason === 'shutdown') throw await giveBack(task, token, { job: jobId, chunk: n });
        const waiting = await waitForRoom(task, token, jobId, err);
        if (waiting) {
          log.error({ job: jobId, chunk: n }, 'chunk waits: disk full');
          throw waiting;
        }
        log.error({ job: jobId, chunk: n, reason: failureReason(err) }, 'chunk failed');
        // BullMQ keeps this message as the chunk's failure: assembly ends the job with it.
        throw new Error(failureText(err, { chunk: n }));
      }
    },
    {
      connection: redis,
      prefix: PREFIX,
      concurrency: o.tabs,
      lockDuration: o.leaseMs,
      stalledInterval: Math.round(o.leaseMs / 2),
      maxStalledCount: 3,
      autorun: false,
    },
  );

  const assembleWorker = new Worker<{ job: string }>(
    ASSEMBLE,
    async (task: Task<{ job: string }>, token: string | undefined, signal?: AbortSignal) => {
      const jobId = task.data.job;
      const cancelled = (await redis.hget(jobKey(jobId), 'cancelled')) === '1';
      if (cancelled || !o.store.hasFolder(jobId)) return { skipped: true };
      const job = o.store.get(jobId);
      if (!job) throw new Error('the job could not be read'); // a passing error: tried again
      if (job.state === 'done' || job.state === 'failed') return { skipped: true }; // a second run, after the end
      const failures = Object.entries(await task.getIgnoredChildrenFailures());
      if (failures.length) {
        await task.removeUnprocessedChildren();
        // Named by its chunk: a chunk's own reason names it already; BullMQ's stall limit does not.
        const [key, reason] = failures[0] as [string, string];
        const n = Number(/-(\d{6})$/.exec(key)?.[1] ?? NaN);
        const stalled = /stalled more than/.test(reason);
        await end(job, { error: stalled ? failedAt({ chunk: n }, CLUSTER_REASONS.chunkStalled) : reason });
        // A parent whose children are not all done may fail, never complete (the job is ended already).
        throw new UnrecoverableError('a chunk failed: the job ended failed');
      }
      // An assembly that waited for disk room is no longer waiting: its job shows running again, not the
      // failure that waitForRoom left (else a long assembly reads `failed` until it ends; set again if still short).
      await redis.hdel(jobKey(jobId), 'blockedBy');
      const started = Date.now();
      try {
        // Assembly counts again from the chunks on disk; the progress in Redis was only for the status.
        await life.assemble(job, getLayout(o.layouts, job.layout), signal);
        await end(job);
      } catch (err) {
        if (signal?.aborted && signal.reason === 'shutdown') throw await giveBack(task, token, { job: jobId });
        if (signal?.aborted) throw new Error('the assembly lost its lease'); // another worker has it now
        const waiting = await waitForRoom(task, token, jobId, err);
        if (waiting) throw waiting;
        log.error({ job: jobId, reason: failureReason(err) }, 'assembly failed');
        // Ended here, its reason told; if even that fails, the task's failure ends it (below).
        await end(job, life.failure(job, err, 'assembly')).catch(() => undefined);
        throw new UnrecoverableError(failureReason(err));
      }
      const build = await redis.hget(jobKey(jobId), 'build').catch(() => undefined);
      log.info({ job: jobId, ms: Date.now() - started, printed: job.done, rejected: job.rejected, build }, 'job assembled');
      return { printed: job.done };
    },
    {
      connection: redis,
      prefix: PREFIX,
      concurrency: 1,
      lockDuration: o.leaseMs * 2,
      stalledInterval: o.leaseMs,
      maxStalledCount: 3,
      autorun: false,
    },
  );

  /**
   * Ends a job for good, done or failed, once (JobLifecycle.end): two assemblies of one job (one lost its
   * lease) both come here; the first to set `finalState` in Redis ends it, the other leaves it as it is.
   * Only a finisher that died before saving leaves the fence set over an unfinished job.json: the next run
   * finishes it. What the job printed before it failed is in Redis; its keys are left to expire.
   */
  const end = (job: Job, ending: Ending = {}) =>
    life.end(job, ending, {
      claim: async (state) => (await redis.hsetnx(jobKey(job.id), 'finalState', state)) === 1,
      progress: async () => {
        const h = await redis.hmget(jobKey(job.id), 'done', 'rejected', 'rejectionCount');
        return { done: Number(h[0] ?? 0), rejected: Number(h[1] ?? 0), rejectionCount: Number(h[2] ?? 0) };
      },
      saved: async () => {
        await redis.expire(jobKey(job.id), keepS);
        await redis.expire(chunksKey(job.id), keepS);
      },
    });

  // A job whose assembly task failed without its processor ending the job (stalled more than allowed: its
  // workers died; or the end itself could not be written): ended as failed here, once.
  assembleWorker.on('failed', (task: Task<{ job: string }> | undefined, err: Error) => {
    if (!task) return; // (an assembly task has one try: its failure is final)
    const job = o.store.get(task.data.job);
    if (!job || job.state === 'done' || job.state === 'failed') return;
    log.error({ job: job.id, err: err.message }, 'assembly task failed');
    const reason = /stalled more than/.test(err.message) ? CLUSTER_REASONS.assemblyStalled : CLUSTER_REASONS.unrecovered;
    void end(job, { error: failedAt('assembly', reason) }).catch((e: Error) =>
      log.error({ job: job.id, err: e.message }, 'failed job not ended'),
    );
  });
  // A worker that lost an assembly's lease stops it: another worker has it now.
  assembleWorker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((t) => assembleWorker.cancelJob(t, 'lease lost')));

  chunkWorker.on('stalled', (taskId: string) => {
    log.warn({ task: taskId }, 'chunk stalled');
    void redis.hincrby(STATS_KEY, 'stalls', 1).catch(() => undefined);
  });
  for (const w of [chunkWorker, assembleWorker]) w.on('error', (err: Error) => log.warn({ err: err.message }, 'redis worker'));
  // A worker that lost a chunk's lease stops printing it: another worker has it now.
  chunkWorker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((t) => chunkWorker.cancelJob(t, 'lease lost')));

  const beat = async () => {
    const at = Date.now() + HEARTBEAT_TTL_MS;
    await redis.multi().zadd(WORKERS_KEY, at, id).hset(`${WORKERS_KEY}:tabs`, id, o.tabs).hset(`${WORKERS_KEY}:build`, id, o.build).exec();
    const gone = await redis.zrangebyscore(WORKERS_KEY, '-inf', Date.now());
    if (gone.length)
      await redis
        .multi()
        .zrem(WORKERS_KEY, ...gone)
        .hdel(`${WORKERS_KEY}:tabs`, ...gone)
        .hdel(`${WORKERS_KEY}:build`, ...gone)
        .exec();
  };
  await beat();
  const heartbeat = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_MS);
  void chunkWorker.run();
  void assembleWorker.run();
  log.info({ tabs: o.tabs, pid: process.pid, host: hostname(), leaseMs: o.leaseMs, build: o.build }, 'worker ready');

  return {
    id,
    async close(graceMs) {
      if (stopping) return;
      stopping = true;
      clearInterval(heartbeat);
      await redis
        .multi()
        .zrem(WORKERS_KEY, id)
        .hdel(`${WORKERS_KEY}:tabs`, id)
        .hdel(`${WORKERS_KEY}:build`, id)
        .exec()
        .catch(() => undefined);
      log.info({ graceMs }, 'stopping');
      const closed = Promise.all([chunkWorker.close(), assembleWorker.close()]);
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<'cut'>((r) => (timer = setTimeout(() => r('cut'), graceMs)));
      if ((await Promise.race([closed, cut])) === 'cut') {
        // Past the grace period: the chunks in hand go back to the queue for another worker, at once.
        chunkWorker.cancelAllJobs('shutdown');
        assembleWorker.cancelAllJobs('shutdown');
      }
      clearTimeout(timer);
      await closed;
      // Only now: closing the connection earlier would lose the completions of the tasks just finished.
      redis.disconnect();
      log.info('stopped');
    },
  };
}
