// A big job's flow goes into Redis in steps (issue 29; server/jobs/redis/job-flow.ts), on a redis-server of
// its own, without Chromium: stand-in workers take the chunk and assembly tasks. No step holds Redis long,
// the assembly never runs before the last chunk is in, each chunk runs once, and a flow stopped part-way
// is finished by the upkeep's lost-flow check or removed whole by a DELETE.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Queue, Worker, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../cli/redis-server.ts';
import { loadLayouts } from '../engine/index.ts';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';
import {
  ASSEMBLE,
  CHUNKS,
  GATES,
  PREFIX,
  chunksKey,
  connect,
  gateId,
  jobKey,
  parentId,
  type Client,
} from '../server/jobs/redis/connection.ts';
import { addJobFlow } from '../server/jobs/redis/job-flow.ts';
import { redisQueue } from '../server/jobs/redis/redis-queue.ts';
import type { JobQueue } from '../server/jobs/job-queue.ts';
import { createMetrics } from '../server/metrics.ts';

const STEP = 500;
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RedisProcess;
let dataDir: string;
let store: JobStore;
let admin: Redis;
let redis: Client;
let queue: JobQueue;
let closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  redis = connect(server.url, 'api', log);
});
afterAll(async () => {
  admin.disconnect();
  redis.disconnect();
  await server.close();
});
beforeEach(async () => {
  await admin.flushall();
  // A folder each: the upkeep would take up an earlier test's jobs.
  dataDir = mkdtempSync(join(tmpdir(), 'shikaku-flow-steps-'));
  store = new JobStore(dataDir, { shared: true });
  const metrics = createMetrics(); // a registry each: the queue's gauges are registered by name
  queue = redisQueue({ url: server.url, store, layouts: loadLayouts(), metrics, log, retentionMs: 3_600_000, flowStep: STEP });
  closers = [() => queue.stop(0)];
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A job of `chunks` chunks committed queued, as intake leaves it (its input is never read here). */
async function committedJob(chunks: number): Promise<Job> {
  const { id } = store.beginIntake();
  const now = new Date().toISOString();
  const job: Job = {
    ...{ id, owner: 'test', layout: 'kokuho-card', state: 'queued', createdAt: now, updatedAt: now },
    ...{ total: chunks * 100, done: 0, chunks, rejected: 0, rejectionCount: 0, rejections: [] },
  };
  await store.commitIntake(job);
  return job;
}

/** Makes the job's folder say it was last saved `minutes` ago (the upkeep re-queues only jobs that old). */
function savedAgo(job: Job, minutes: number): void {
  const file = join(dataDir, 'jobs', job.id, 'job.json');
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Job;
  writeFileSync(file, JSON.stringify({ ...saved, updatedAt: new Date(Date.now() - minutes * 60_000).toISOString() }));
}

/**
 * Stand-ins for the workers: each chunk task counts its chunk into the job as a worker does (the
 * chunkProgress script) and is tallied by number; the assembly task notes how many chunks its flow had done
 * and left when it ran.
 */
function standInWorkers(o = { assembly: true }) {
  const runs = new Map<number, number>();
  let assembled: { processed: number; unprocessed: number } | undefined;
  const connection = { url: server.url, maxRetriesPerRequest: null };
  const chunks = new Worker<{ job: string; n: number }>(
    CHUNKS,
    async (task) => {
      runs.set(task.data.n, (runs.get(task.data.n) ?? 0) + 1);
      await redis.chunkProgress(chunksKey(task.data.job), jobKey(task.data.job), task.data.n, 100, 0, 0, new Date().toISOString());
    },
    { connection, prefix: PREFIX, concurrency: 50 },
  );
  const assembly = new Worker(
    o.assembly ? ASSEMBLE : 'none',
    async (task) => {
      const deps = await task.getDependenciesCount();
      assembled = { processed: deps.processed ?? 0, unprocessed: deps.unprocessed ?? 0 };
    },
    { connection, prefix: PREFIX },
  );
  closers.push(() => Promise.all([chunks.close(true), assembly.close(true)]));
  return {
    runs,
    assembled: () => assembled,
    /** Waits until `n` distinct chunks have run. */
    async ran(n: number, ms = 60_000) {
      for (const until = Date.now() + ms; runs.size < n; await sleep(20))
        if (Date.now() > until) throw new Error(`${runs.size} of ${n} chunks ran`);
    },
    async assembly(ms = 60_000) {
      for (const until = Date.now() + ms; !assembled; await sleep(20)) if (Date.now() > until) throw new Error('the assembly did not run');
      return assembled;
    },
  };
}

/** Clients for addJobFlow whose FlowProducer calls `before(step)` ahead of each step of chunks. */
function steppedClients(before: (step: number) => Promise<void>) {
  class Hooked extends FlowProducer {
    steps = 0;
    override async addBulk(flows: FlowJob[]) {
      await before(++this.steps);
      return super.addBulk(flows);
    }
  }
  const connection = { url: server.url, maxRetriesPerRequest: 1 };
  const flows = new Hooked({ connection, prefix: PREFIX });
  const assemble = new Queue(ASSEMBLE, { connection, prefix: PREFIX });
  const gates = new Queue(GATES, { connection, prefix: PREFIX });
  closers.push(() => Promise.all([flows.close(), assemble.close(), gates.close()]));
  return { redis, flows, assemble, gates, keepS: 3600, step: STEP };
}

/** What Redis holds of a job's flow: its assembly task, its gate, its chunk tasks. */
async function inRedis(id: string) {
  const chunkTasks = await admin.keys(`${PREFIX}:${CHUNKS}:job-${id}-*`);
  return {
    parent: (await admin.exists(`${PREFIX}:${ASSEMBLE}:${parentId(id)}`)) === 1,
    gate: (await admin.exists(`${PREFIX}:${GATES}:${gateId(id)}`)) === 1,
    chunks: chunkTasks.filter((k) => /-\d{6}$/.test(k)).length,
  };
}

describe('a big job added to Redis in steps', () => {
  it('goes in as MULTIs of 500 chunks: no command holds Redis for a second, and every chunk is there once', async () => {
    const job = await committedJob(20_000);
    await admin.config('SET', 'latency-monitor-threshold', '1');
    await admin.call('LATENCY', 'RESET');
    await queue.enqueue(job);
    // The latency monitor times a MULTI's EXEC whole ("command"). A step of 500 took 30-90 ms quiet and 92-176 ms
    // beside a fresh-clone CI run; one MULTI of all 20,000 took 1.4-2 s quiet and 1.5-1.8 s beside CI. The bound is a
    // safety net of 5-10x a busy step (500 ms was 3x, and CI's machines are slower) that one MULTI still fails.
    const events = (await admin.call('LATENCY', 'LATEST')) as [string, number, number, number][];
    const longest = Math.max(0, ...events.filter((e) => e[0] === 'command').map((e) => e[3]));
    expect(longest).toBeLessThan(1000);
    expect(await inRedis(job.id)).toEqual({ parent: true, gate: false, chunks: 20_000 });
    const parent = await new Queue(ASSEMBLE, { connection: admin, prefix: PREFIX }).getJob(parentId(job.id));
    expect(await parent?.getState()).toBe('waiting-children');
    expect((await parent?.getDependenciesCount())?.unprocessed).toBe(20_000);
  });

  it('never lets the assembly run before the last step, however fast the chunks print, and runs each chunk once', async () => {
    const workers = standInWorkers();
    // Each step waits until every chunk added so far has printed: a parent without its gate would be released then.
    const f = steppedClients(async (step) => workers.ran((step - 1) * STEP));
    const job = { id: 'f'.repeat(16), chunks: 5000 };
    expect(await addJobFlow(f, job)).toBe('whole');
    expect(f.flows.steps).toBe(10);
    expect(await workers.assembly()).toEqual({ processed: 5000, unprocessed: 0 });
    expect(workers.runs.size).toBe(5000);
    expect([...workers.runs.values()].every((times) => times === 1)).toBe(true);
  });

  it('is finished by the upkeep when its adding stopped at the third step: each chunk once, the assembly after the last', async () => {
    const job = await committedJob(5000);
    const workers = standInWorkers();
    const f = steppedClients((step) =>
      // the instance lost Redis, or died, here
      step === 3 ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve(),
    );
    await expect(addJobFlow(f, job)).rejects.toThrow('Connection is closed.');
    expect(await inRedis(job.id)).toEqual({ parent: true, gate: true, chunks: expect.any(Number) as number });
    await workers.ran(2 * STEP);
    await sleep(300);
    expect(workers.assembled()).toBeUndefined(); // its gate holds it: 1,000 chunks printed, 4,000 never added
    savedAgo(job, 11);
    await queue.upkeep();
    expect(await workers.assembly()).toEqual({ processed: 5000, unprocessed: 0 });
    expect(workers.runs.size).toBe(5000);
    expect([...workers.runs.entries()].filter(([, times]) => times !== 1)).toEqual([]);
    expect((await inRedis(job.id)).gate).toBe(false);
  });

  it('is removed whole by a DELETE, whether its adding stopped part-way or the DELETE came between two steps', async () => {
    const stopped = await committedJob(5000);
    const f = steppedClients((step) => (step === 3 ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve()));
    await expect(addJobFlow(f, stopped)).rejects.toThrow();
    await queue.cancel(stopped.id);
    expect(await inRedis(stopped.id)).toEqual({ parent: false, gate: false, chunks: 0 });
    savedAgo(stopped, 11);
    await queue.upkeep(); // deleted: never added again
    expect(await inRedis(stopped.id)).toEqual({ parent: false, gate: false, chunks: 0 });

    const deleted = await committedJob(5000);
    const g = steppedClients(async (step) => {
      if (step === 3) await queue.cancel(deleted.id);
    });
    expect(await addJobFlow(g, deleted)).toBe('stopped');
    expect(await inRedis(deleted.id)).toEqual({ parent: false, gate: false, chunks: 0 });
  });

  it('is removed by the upkeep when its adding stopped part-way and its job was refused (deleted), once no enqueue can still be at it', async () => {
    const job = await committedJob(5000);
    const f = steppedClients((step) => (step === 3 ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve()));
    await expect(addJobFlow(f, job)).rejects.toThrow();
    store.delete(job.id); // the 503's job, as the route drops it
    await queue.upkeep();
    expect(await inRedis(job.id)).toEqual({ parent: true, gate: true, chunks: 2 * STEP }); // young: its enqueue may still run
    await admin.hset(`${PREFIX}:${GATES}:${gateId(job.id)}`, 'timestamp', Date.now() - 11 * 60_000);
    await queue.upkeep();
    expect(await inRedis(job.id)).toEqual({ parent: false, gate: false, chunks: 0 });
    expect(await admin.zcard(`${PREFIX}:${ASSEMBLE}:waiting-children`)).toBe(0); // nothing left counting as a job waiting
  });

  it('puts its assembly among the prioritized tasks when every chunk was done before the gate went', async () => {
    const job = await committedJob(1200);
    const workers = standInWorkers({ assembly: false });
    const f = steppedClients(() => Promise.resolve());
    f.gates.remove = () => Promise.reject(new Error('Connection is closed.')); // stopped just before the gate's removal
    await expect(addJobFlow(f, job)).rejects.toThrow();
    await workers.ran(1200);
    savedAgo(job, 11);
    await queue.upkeep();
    // BullMQ moves a parent whose last child is removed to the plain wait list, ahead of every prioritized task.
    expect(await (await f.assemble.getJob(parentId(job.id)))?.getState()).toBe('prioritized');
    expect([...workers.runs.values()].every((times) => times === 1)).toBe(true);
  });
});
