import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue } from 'bullmq';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { PrintError, getLayout, type Layout } from '../../../engine/index.ts';
import type { Metrics } from '../../metrics.ts';
import type { JobQueue } from '../job-queue.ts';
import type { JobStore } from '../job-store.ts';
import { putInSheetOrder } from '../sheet-order.ts';
import type { Webhooks } from '../webhooks.ts';
import { FLOW_STEP, addJobFlow, dropOrphanFlows, flowWhole } from './job-flow.ts';
import { startWebhookQueue } from './webhook-queue.ts';
import {
  ASSEMBLE,
  CHUNKS,
  GATES,
  PREFIX,
  STATS_KEY,
  WORKERS_KEY,
  chunksKey,
  connect,
  jobKey,
  parentId,
  type ChunkTask,
} from './connection.ts';

/** Lets a lock go only if this holder still holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Renews a lock's lease only if this holder still holds it. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** The longest DELETE waits for a chunk a worker holds: one chunk's print, or a dead worker's lease. */
const CANCEL_WAIT_MS = 120_000;

/** A committed job with no tasks in Redis this long after it was taken in was never queued (a crash). */
const LOST_FLOW_MS = 10 * 60_000;

/** What an API instance in Redis mode needs. */
export interface RedisQueueOptions {
  url: string;
  store: JobStore;
  layouts: Map<string, Layout>;
  metrics: Metrics;
  log: Logger;
  /** How long a finished job is kept: its tasks' traces in Redis go with it. */
  retentionMs: number;
  /** The jobs' webhooks: this instance takes part in the cluster's deliveries (webhook-queue.ts). */
  webhooks?: Webhooks;
  /** SHIKAKU_CHUNK_LEASE_S: a delivery whose process died is taken over after it. */
  leaseMs?: number;
  /** SHIKAKU_INTAKE_LEASE_S: a lock (an Idempotency-Key) whose holder died is free after it (default 15 s). */
  lockLeaseMs?: number;
  /** Chunks added to Redis in one MULTI (job-flow.ts FLOW_STEP; tests choose fewer). */
  flowStep?: number;
}

/**
 * The job queue of an API instance in Redis mode (stateless: any instance answers for any job). A job is
 * one BullMQ flow: an assembly task `job-<id>` whose children are the chunk tasks `job-<id>-<nnnnnn>`,
 * added in one MULTI, or in steps for a big job (job-flow.ts). Workers print the chunks on any machine; the
 * assembly runs when the last is in.
 */
export function redisQueue(o: RedisQueueOptions): JobQueue {
  const redis = connect(o.url, 'api', o.log);
  const flows = new FlowProducer({ connection: redis, prefix: PREFIX });
  const chunks = new Queue<ChunkTask>(CHUNKS, { connection: redis, prefix: PREFIX });
  const assemble = new Queue(ASSEMBLE, { connection: redis, prefix: PREFIX });
  const gates = new Queue(GATES, { connection: redis, prefix: PREFIX });
  const warn = (err: Error) => o.log.warn({ err: err.message }, 'redis queue');
  flows.on('error', warn);
  chunks.on('error', warn);
  assemble.on('error', warn);
  gates.on('error', warn);
  const keepS = Math.ceil(o.retentionMs / 1000);
  const step = o.flowStep ?? FLOW_STEP;
  const flow = { redis, flows, assemble, gates, keepS, step };
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [o.metrics.registry] });
  const gauges = {
    chunks: new Gauge({
      name: 'shikaku_chunks',
      help: 'Chunk tasks in the cluster by state (waiting includes prioritized)',
      labelNames: ['state'] as const,
      registers: [o.metrics.registry],
    }),
    inFlight: gauge('shikaku_chunks_in_flight', 'Chunks being printed by a worker now'),
    workers: gauge('shikaku_workers_alive', 'Workers whose heartbeat is current'),
    tabs: gauge('shikaku_worker_tabs', 'Tabs of the workers alive: chunks the cluster prints at once'),
    stalls: gauge('shikaku_chunk_stalls_total', 'Chunks taken over after their worker lost its lease'),
    up: gauge('shikaku_redis_up', '1 when Redis answers'),
    builds: new Gauge({
      name: 'shikaku_workers_by_build',
      help: 'Workers alive by the build they print with (Chromium version and pinned fonts); a job is printed by one',
      labelNames: ['build'] as const,
      registers: [o.metrics.registry],
    }),
    refused: new Counter({
      name: 'shikaku_chunks_refused_build_total',
      help: "Chunks a worker left for another because their job is printed by another build (the cluster's count)",
      registers: [o.metrics.registry],
    }),
  };
  // The cluster's count of refusals as Redis keeps it, added to the counter by what it grew since the last read.
  let refusedSeen = 0;
  let pinged: { at: number; up: boolean } | undefined;
  const redisUp = async (): Promise<boolean> => {
    if (pinged && Date.now() - pinged.at < 1000) return pinged.up;
    const up = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref()),
    ]);
    pinged = { at: Date.now(), up };
    return up;
  };
  const unavailable = () => new PrintError('UNAVAILABLE', 'the job queue (Redis) is not reachable; retry shortly');
  // Webhook deliveries need no browser: an API instance delivers them as the workers do (closed by Webhooks.stop).
  o.webhooks?.deliverThrough(startWebhookQueue({ url: o.url, webhooks: o.webhooks, log: o.log, leaseMs: o.leaseMs ?? 30_000 }));

  return {
    mode: 'redis',

    async enqueue(job) {
      // Cut-stack imposition rewrites the input in sheet order here, before any worker can see the job.
      await putInSheetOrder(o.store, job, getLayout(o.layouts, job.layout));
      try {
        const added = await addJobFlow(flow, job);
        if (added === 'stopped') o.log.info({ job: job.id }, 'job flow not added whole: the job was deleted or failed meanwhile');
        else if (job.chunks > step)
          o.log.info({ job: job.id, chunks: job.chunks, steps: Math.ceil(job.chunks / step) }, 'job flow added in steps');
      } catch (err) {
        o.log.error({ job: job.id, err: (err as Error).message }, 'job not queued: redis');
        throw unavailable();
      }
    },

    async view(job) {
      if (job.state === 'done' || job.state === 'failed') return job;
      let h: Record<string, string>;
      try {
        h = await redis.hgetall(jobKey(job.id));
      } catch {
        return job; // Redis away: the job as its folder says, its progress when Redis is back
      }
      const n = (k: string) => Number(h[k] ?? 0);
      return {
        ...job,
        ...(h.startedAt ? { state: 'running' as const } : {}),
        ...(h.blockedBy ? { state: 'failed' as const, error: h.blockedBy, retryable: true } : {}),
        done: job.done + n('done'),
        rejected: job.rejected + n('rejected'),
        rejectionCount: job.rejectionCount + n('rejectionCount'),
        updatedAt: h.updatedAt ?? job.updatedAt,
      };
    },

    async cancel(id) {
      try {
        await redis.hset(jobKey(id), 'cancelled', '1');
        await redis.expire(jobKey(id), keepS);
        // Tasks not taken yet go at once; one in a worker's hands is waited for (a worker finds the job
        // cancelled before it takes the next), so that nothing of the job is written once this answers.
        const until = Date.now() + CANCEL_WAIT_MS;
        for (;;) {
          const parent = await assemble.getJob(parentId(id));
          if (!parent) break;
          await parent.removeUnprocessedChildren();
          const left = (await parent.getDependenciesCount({ unprocessed: true })).unprocessed ?? 0;
          const removed =
            left === 0 &&
            (await parent.getState()) !== 'active' &&
            (await parent.remove({ removeChildren: true }).then(
              () => true,
              () => false,
            ));
          if (removed) break;
          if (Date.now() > until) {
            o.log.warn({ job: id }, 'job deleted while a worker still held part of it');
            break;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        await redis.expire(chunksKey(id), keepS);
      } catch (err) {
        o.log.error({ job: id, err: (err as Error).message }, 'job not cancelled: redis');
        throw unavailable();
      }
    },

    async readiness() {
      const up = await redisUp();
      return { ready: up, facts: { redis: up } };
    },

    async collect() {
      const up = await redisUp();
      gauges.up.set(up ? 1 : 0);
      if (!up) return;
      const now = Date.now();
      const [counts, jobs, alive, stats] = await Promise.all([
        chunks.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
        assemble.getJobCounts('waiting-children', 'wait', 'prioritized', 'active'),
        redis.zrangebyscore(WORKERS_KEY, now, '+inf'),
        redis.hmget(STATS_KEY, 'stalls', 'buildRefusals'),
      ]);
      const tabs = alive.length ? await redis.hmget(`${WORKERS_KEY}:tabs`, ...alive) : [];
      const builds = alive.length ? await redis.hmget(`${WORKERS_KEY}:build`, ...alive) : [];
      const c = (k: string, from = counts) => from[k] ?? 0;
      gauges.chunks.set({ state: 'waiting' }, c('wait') + c('prioritized'));
      gauges.chunks.set({ state: 'active' }, c('active'));
      gauges.chunks.set({ state: 'delayed' }, c('delayed'));
      gauges.chunks.set({ state: 'failed' }, c('failed'));
      gauges.inFlight.set(c('active'));
      gauges.workers.set(alive.length);
      gauges.tabs.set(tabs.reduce((sum, t) => sum + Number(t ?? 0), 0));
      gauges.stalls.set(Number(stats[0] ?? 0));
      gauges.builds.reset();
      for (const build of builds) gauges.builds.inc({ build: build ?? 'unknown' });
      const refused = Number(stats[1] ?? 0);
      if (refused > refusedSeen) gauges.refused.inc(refused - refusedSeen);
      refusedSeen = refused; // lower only if Redis lost its counters
      o.metrics.jobsWaiting.set(c('waiting-children', jobs) + c('wait', jobs) + c('prioritized', jobs) + c('active', jobs));
    },

    async upkeep() {
      if (!(await redisUp())) return;
      // Deliveries still pending on disk whose task is not in Redis (an end saved by a process that died
      // before queueing its webhook): queued; one already queued is left as it is.
      o.webhooks?.resume();
      const cutoff = new Date(Date.now() - LOST_FLOW_MS).toISOString();
      for (const job of o.store.resumable()) {
        if (job.state !== 'queued' || job.updatedAt > cutoff) continue;
        // Under a lock, so that two instances never both add it; never over a flow that is whole (one stopped
        // part-way, its gate still there, is finished: job-flow.ts).
        await this.exclusive(`flow:${job.id}`, async () => {
          if ((await flowWhole(flow, job.id)) || (await redis.hexists(jobKey(job.id), 'cancelled'))) return;
          await this.enqueue(job);
          o.log.warn({ job: job.id }, 'job queued again: its tasks never reached Redis (its instance stopped in between)');
        });
      }
      const dropped = await dropOrphanFlows(flow, { hasJob: (id) => o.store.hasFolder(id), olderThanMs: LOST_FLOW_MS });
      if (dropped) o.log.warn({ flows: dropped }, 'job flows dropped: their job was refused while they were being added');
    },

    async exclusive(name, fn) {
      const key = `${PREFIX}:x:lock:${name}`;
      const token = randomUUID();
      // A lease renewed every third of it while fn runs: a holder that dies frees the lock within one
      // lease. Another instance waits, polling, for two leases, then answers 429 (its client retries).
      const lease = o.lockLeaseMs ?? 15_000;
      const until = Date.now() + 2 * lease;
      for (;;) {
        let got: string | null;
        try {
          got = await redis.set(key, token, 'PX', lease, 'NX');
        } catch {
          throw unavailable();
        }
        if (got === 'OK') break;
        if (Date.now() > until)
          throw new PrintError('BUSY', 'another request of this Idempotency-Key is being taken in: retry shortly', {
            retryAfterS: Math.ceil(lease / 1000),
          });
        await new Promise((r) => setTimeout(r, 100));
      }
      const renew = setInterval(() => void redis.eval(RENEW, 1, key, token, lease).catch(() => undefined), lease / 3);
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
      }
    },

    async stop() {
      await Promise.allSettled([flows.close(), chunks.close(), assemble.close(), gates.close()]);
      redis.disconnect();
    },
  };
}
