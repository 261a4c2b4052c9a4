import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job as Task } from 'bullmq';
import type { Logger } from 'pino';
import { PrintError, getLayout, type Engine, type Layout } from '../../../engine/index.ts';
import type { Metrics } from '../../metrics.ts';
import { assembleJob, printChunk } from '../chunk-work.ts';
import { bytesNeeded, isDiskFull, splitFiles, type DiskSpace } from '../disk-space.ts';
import type { Job, JobStore } from '../job-store.ts';
import type { Webhooks } from '../webhooks.ts';
import { ASSEMBLE, CHUNKS, PREFIX, STATS_KEY, WORKERS_KEY, chunksKey, connect, jobKey, type ChunkTask } from './connection.ts';

/** What a worker process needs to print chunks and assemble jobs. */
export interface JobWorkersOptions {
  url: string;
  store: JobStore;
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

  /** A failure as it may be kept in Redis and shown in a job's status: a code and a safe message, never a record's value. */
  const safeReason = (err: unknown): string =>
    err instanceof PrintError && (err.code === 'RENDER' || err.code === 'SETUP' || err.code === 'DISK_FULL')
      ? `${err.code}: ${err.message}`
      : err instanceof PrintError
        ? err.code
        : 'internal error';

  const chunkWorker = new Worker<ChunkTask>(
    CHUNKS,
    // Three parameters: BullMQ hands a processor its AbortSignal only when it declares the third.
    async (task: Task<ChunkTask>, token: string | undefined, aborted?: AbortSignal) => {
      const signal = aborted ?? new AbortController().signal;
      const { job: jobId, n } = task.data;
      const state = await redis.hmget(jobKey(jobId), 'cancelled');
      const job = o.store.get(jobId);
      if (!job || state[0] === '1') return { n, skipped: true };
      await redis.hsetnx(jobKey(jobId), 'startedAt', new Date().toISOString());
      log.info({ job: jobId, chunk: n, stalls: task.stalledCounter, attempt: task.attemptsStarted }, 'chunk started');
      const started = Date.now();
      try {
        const { pdf, meta } = await printChunk(o.engine, getLayout(o.layouts, job.layout), o.store.chunkInput(jobId, n), signal, o.metrics);
        o.disk.require(pdf.length * 2);
        await o.store.writeChunk(jobId, n, pdf, meta);
        await redis.chunkProgress(
          chunksKey(jobId),
          jobKey(jobId),
          n,
          meta.printed.length,
          new Set(meta.rejections.map((r) => r.record)).size,
          meta.rejections.length,
          new Date().toISOString(),
        );
        log.info({ job: jobId, chunk: n, ms: Date.now() - started, records: meta.printed.length }, 'chunk done');
        return { n, printed: meta.printed.length };
      } catch (err) {
        if (signal.aborted && signal.reason === 'shutdown') {
          await task.moveToWait(token);
          log.info({ job: jobId, chunk: n }, 'chunk returned');
          throw new WaitingError();
        }
        if ((err instanceof PrintError && err.code === 'DISK_FULL') || isDiskFull(err)) {
          await redis.hset(jobKey(jobId), 'blockedBy', o.disk.short(0).message);
          await task.moveToDelayed(Date.now() + DISK_WAIT_MS, token);
          log.error({ job: jobId, chunk: n }, 'chunk waits: disk full');
          throw new DelayedError();
        }
        log.error({ job: jobId, chunk: n, reason: safeReason(err) }, 'chunk failed');
        throw new Error(`chunk ${n + 1} could not be printed: ${safeReason(err)}`);
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
      const job = o.store.get(jobId);
      const cancelled = (await redis.hget(jobKey(jobId), 'cancelled')) === '1';
      if (!job || cancelled || job.state === 'done' || job.state === 'failed') return { skipped: true };
      const failures = Object.values(await task.getIgnoredChildrenFailures());
      if (failures.length) {
        await task.removeUnprocessedChildren();
        await finish(job, { error: failures[0] ?? 'a chunk could not be printed' });
        throw new UnrecoverableError('a chunk could not be printed');
      }
      if (signal?.aborted) throw new PrintError('CANCELLED', 'stopped');
      const started = Date.now();
      const layout = getLayout(o.layouts, job.layout);
      try {
        o.disk.require(bytesNeeded(0, job.total, splitFiles(job.output?.split, job.total - job.rejected)));
        // Assembly counts again from the chunks on disk; the progress in Redis was only for the status.
        await assembleJob(o.store, job, layout, { problemsShown: o.problemsShown, pressIcc: o.pressIcc });
      } catch (err) {
        if ((err instanceof PrintError && err.code === 'DISK_FULL') || isDiskFull(err)) {
          await redis.hset(jobKey(jobId), 'blockedBy', o.disk.short(0).message);
          await task.moveToDelayed(Date.now() + DISK_WAIT_MS, token);
          throw new DelayedError();
        }
        await finish(job, { error: safeReason(err) });
        throw new UnrecoverableError('the job could not be assembled');
      }
      await finish(job, {});
      log.info({ job: jobId, ms: Date.now() - started, printed: job.done, rejected: job.rejected }, 'job assembled');
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

  /** Ends a job for good, done or failed: its final job.json, its webhook, its Redis state left to expire. */
  async function finish(job: Job, end: { error?: string }): Promise<void> {
    job.state = end.error ? 'failed' : 'done';
    if (end.error) job.error = end.error;
    o.webhooks.prepare(job);
    await o.store.save(job);
    await redis.expire(jobKey(job.id), keepS);
    await redis.expire(chunksKey(job.id), keepS);
    o.webhooks.notify(job);
    if (job.state === 'done') {
      try {
        o.store.dropWorkFiles(job.id);
      } catch (err) {
        log.warn({ job: job.id, code: (err as NodeJS.ErrnoException).code }, 'work files of a done job not removed');
      }
    } else log.error({ job: job.id, reason: end.error }, 'job failed');
  }

  chunkWorker.on('stalled', (taskId: string) => {
    log.warn({ task: taskId }, 'chunk stalled');
    void redis.hincrby(STATS_KEY, 'stalls', 1).catch(() => undefined);
  });
  for (const w of [chunkWorker, assembleWorker]) w.on('error', (err: Error) => log.warn({ err: err.message }, 'redis worker'));
  // A worker that lost a chunk's lease stops printing it: another worker has it now.
  chunkWorker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((t) => chunkWorker.cancelJob(t, 'lease lost')));

  const beat = async () => {
    const at = Date.now() + HEARTBEAT_TTL_MS;
    await redis.multi().zadd(WORKERS_KEY, at, id).hset(`${WORKERS_KEY}:tabs`, id, o.tabs).exec();
    await redis.zremrangebyscore(WORKERS_KEY, '-inf', Date.now());
  };
  await beat();
  const heartbeat = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_MS);
  void chunkWorker.run();
  void assembleWorker.run();
  log.info({ tabs: o.tabs, pid: process.pid, host: hostname(), leaseMs: o.leaseMs }, 'worker ready');

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
