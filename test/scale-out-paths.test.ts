// Issue 29: four paths of a cluster that no test reached, each on real processes (a Redis of our own,
// `serve --api-only` instances, `worker`s) and each driven to the moment it exists for: the assembly fence
// (JobLifecycle.end's claim), the assembly task's `failed` listener, the upkeep's re-queue of a job whose
// flow never reached Redis, and the wait of a chunk or an assembly short of disk room (redis/workers.ts).
// A worker is stopped mid-assembly at a known point by a FIFO put where a chunk's PDF was: the assembly
// reads that PDF with readFileSync, so the worker's whole process stops there (as under SIGSTOP), its
// lease no longer renewed, after it has read job.json and before it ends the job.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { ASSEMBLE, CHUNKS, PREFIX, childId, jobKey, parentId } from '../server/jobs/redis/connection.ts';
import { CLUSTER_REASONS, failedAt } from '../server/jobs/lifecycle.ts';
import { readyz, startApiOnly } from './helpers/api-only.ts';
import { AUTH, postKokuhoJob, waitForJob } from './helpers/service.ts';
import { alive, sleep, startWorkerProcess, startedBy, until, type ServiceProcess } from './helpers/processes.ts';

/** The shortest SHIKAKU_CHUNK_LEASE_S: an assembly's lock (two leases) runs out within 10 s of its worker stopping. */
const LEASE_S = 5;

/** What a job's status says while its work waits for disk room. */
const DISK_FULL = /^disk full: \d+ MB free, \d+ MB needed$/;

/**
 * A Redis of our own and a data folder, the processes started on them, and a client of that Redis for the
 * test. One for the file: each test stops (SIGSTOP) the workers it does not want taking tasks, at a moment
 * they hold none, and lets them go on (SIGCONT) when it wants them.
 */
async function startCluster() {
  const server = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-paths-'));
  const env = {
    SHIKAKU_REDIS_URL: server.url,
    SHIKAKU_API_KEYS: 'test:test-key',
    SHIKAKU_CHUNK_LEASE_S: String(LEASE_S),
    SHIKAKU_SHUTDOWN_GRACE_S: '1',
  };
  const redis = new Redis(server.url);
  const assemble = new Queue(ASSEMBLE, { connection: redis, prefix: PREFIX });
  const chunks = new Queue(CHUNKS, { connection: redis, prefix: PREFIX });
  const processes: ServiceProcess[] = [];
  return {
    dataDir,
    redis,
    assemble,
    chunks,
    /** An API instance without Chromium, ready. */
    async api(): Promise<ServiceProcess> {
      const api = await startApiOnly(dataDir, env);
      processes.push(api);
      expect((await readyz(api.base)).status).toBe(200);
      return api;
    },
    /** A worker of one tab, `more` added to its environment. */
    async worker(more: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
      const worker = await startWorkerProcess({ dataDir, env: { ...env, ...more }, tabs: 1 });
      processes.push(worker);
      return worker;
    },
    /** Kills `some` of the processes (stopped ones too), or all of them, and what they started. */
    async kill(some: ServiceProcess[] = processes): Promise<void> {
      const pids = some.flatMap((p) => [p.pid, ...startedBy(p.pid)]);
      for (const pid of alive(pids)) process.kill(pid, 'SIGKILL');
      await until(() => (alive(pids).length ? undefined : true), 10_000, 'the processes to end');
    },
    /** Kills everything started and removes it all. */
    async close(): Promise<void> {
      await this.kill();
      await Promise.allSettled([assemble.close(), chunks.close()]);
      redis.disconnect();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lets `go` take tasks, and stops (SIGSTOP) `stop`, which must hold none then. */
function only(go: ServiceProcess[], stop: ServiceProcess[]): void {
  for (const p of stop) p.child.kill('SIGSTOP');
  for (const p of go) p.child.kill('SIGCONT');
}

async function statusOf(base: string, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/v1/jobs/${id}`, { headers: AUTH })).json()) as Record<string, unknown>;
}

/** `promise`, or a rejection naming `said` after `ms`. */
async function within<T>(ms: number, said: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${said}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `holds` until it answers true, for at most `ms`. */
async function eventually(ms: number, said: string, holds: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await holds())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${said}`);
    await sleep(50);
  }
}

/** Rewrites a job's job.json as `change` says, whole (a temp file renamed over it, as the store writes it). */
function rewriteJobFile(dataDir: string, id: string, change: (job: Record<string, unknown>) => void): void {
  const path = join(dataDir, 'jobs', id, 'job.json');
  const job = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(job);
  writeFileSync(`${path}.test`, JSON.stringify(job), { mode: 0o600 });
  renameSync(`${path}.test`, path);
}

/**
 * Puts a FIFO where chunk `n`'s committed PDF is (the name its meta gives). `reached` waits until a process
 * opens it to read (the assembly, stopped there) and keeps it waiting; `release` feeds it the PDF.
 */
function holdChunkPdf(dataDir: string, id: string, n: number) {
  const chunks = join(dataDir, 'jobs', id, 'chunks');
  const meta = JSON.parse(readFileSync(join(chunks, `${String(n).padStart(6, '0')}.json`), 'utf8')) as { pdf: string };
  const path = join(chunks, meta.pdf);
  const pdf = readFileSync(path);
  rmSync(path);
  execFileSync('mkfifo', ['-m', '600', path]);
  let fd: number | undefined;
  return {
    async reached(ms: number): Promise<void> {
      // A FIFO opens for writing without blocking only once a reader has it open; held open, the reader waits.
      await until(
        () => {
          try {
            fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
            return true;
          } catch {
            return undefined;
          }
        },
        ms,
        'the assembly to read the held chunk',
      );
    },
    async release(): Promise<void> {
      const writer = fd;
      fd = undefined;
      if (writer === undefined) return;
      try {
        for (let at = 0; at < pdf.length;) {
          try {
            at += writeSync(writer, pdf, at);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
            await sleep(5); // the pipe is full until the reader takes some
          }
        }
      } finally {
        closeSync(writer);
      }
    },
  };
}

describe('the paths of a cluster that end, re-queue and hold back jobs', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let api: ServiceProcess;
  /** A worker with room, one whose every write is short of it (a reserve of 10 TB, SHIKAKU_MIN_FREE_MB), and one to stop for good. */
  let steady: ServiceProcess;
  let full: ServiceProcess;
  let doomed: ServiceProcess;

  beforeAll(async () => {
    cluster = await startCluster();
    [api, steady, full, doomed] = await Promise.all([
      cluster.api(),
      cluster.worker(),
      cluster.worker({ SHIKAKU_MIN_FREE_MB: '10000000' }),
      cluster.worker(),
    ]);
    only([steady], [full, doomed]);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('an end claimed by a finisher that died before saving is finished by the next run; an assembly that finds its job ended by another leaves it so', async () => {
    // The fence set over a job.json still queued: its finisher claimed the end and died before saving.
    only([], [steady]);
    const orphan = await postKokuhoJob(api.base, 100);
    expect(await cluster.redis.hsetnx(jobKey(orphan), 'finalState', 'done')).toBe(1);
    only([steady], []);
    expect(await waitForJob(api.base, orphan, 60_000)).toMatchObject({ state: 'done', progress: { done: 100, total: 100, rejected: 0 } });
    await within(
      10_000,
      'its end logged',
      steady.first((e) => e.msg === 'job done' && e.job === orphan),
    );

    // An assembly under way (held at a chunk's PDF, past its read of job.json) whose job another ends first,
    // as a worker that took the assembly over or a failed task's listener would: the first end stays.
    const id = await postKokuhoJob(api.base, 400);
    const first = await within(
      60_000,
      'a chunk printed',
      steady.first((e) => e.msg === 'chunk done' && e.job === id),
    );
    const held = holdChunkPdf(cluster.dataDir, id, first.chunk as number);
    const other = failedAt('assembly', CLUSTER_REASONS.assemblyStalled);
    try {
      await held.reached(60_000);
      expect(await cluster.redis.hsetnx(jobKey(id), 'finalState', 'failed')).toBe(1);
      rewriteJobFile(cluster.dataDir, id, (job) =>
        Object.assign(job, { state: 'failed', error: other, updatedAt: new Date().toISOString() }),
      );
    } finally {
      await held.release();
    }
    await within(
      30_000,
      'the held assembly to end',
      steady.first((e) => e.msg === 'job assembled' && e.job === id),
    );
    expect(await statusOf(api.base, id)).toMatchObject({ state: 'failed', error: other });
    expect(steady.log.filter((e) => e.msg === 'job done' && e.job === id)).toEqual([]);
  });

  it('a job whose assembly stalls once more than allowed is ended failed by the failed listener of the worker that finds it', async () => {
    only([doomed], [steady]);
    let held: ReturnType<typeof holdChunkPdf> | undefined;
    try {
      const id = await postKokuhoJob(api.base, 400);
      // Three stalls counted already (BullMQ's `stc`; maxStalledCount is 3): the one to come is one too many.
      await cluster.redis.hset(`${PREFIX}:${ASSEMBLE}:${parentId(id)}`, 'stc', 3);
      const first = await within(
        60_000,
        'a chunk printed',
        doomed.first((e) => e.msg === 'chunk done' && e.job === id),
      );
      held = holdChunkPdf(cluster.dataDir, id, first.chunk as number);
      await held.reached(60_000);
      // The assembly's worker is stopped for good; another finds its lease run out.
      only([steady], []);
      const job = await waitForJob(api.base, id, 90_000);
      expect(job).toMatchObject({ state: 'failed', progress: { done: 400, total: 400, rejected: 0 } });
      expect((job as unknown as { error: string }).error).toBe(failedAt('assembly', CLUSTER_REASONS.assemblyStalled));
      await within(
        10_000,
        'the failure logged',
        steady.first((e) => e.msg === 'assembly task failed' && e.job === id),
      );
    } finally {
      await cluster.kill([doomed]);
      await held?.release().catch(() => undefined);
    }
  });

  it('a chunk of a job that has ended for good is not printed (a step of a big job sent as it failed)', async () => {
    only([], [steady]);
    const id = await postKokuhoJob(api.base, 300);
    // Failed for good meanwhile, as by another chunk, its three chunks still queued.
    const error = failedAt({ chunk: 0 }, 'a stand-in failure of this test');
    rewriteJobFile(cluster.dataDir, id, (job) => Object.assign(job, { state: 'failed', error, updatedAt: new Date().toISOString() }));
    only([steady], []);
    await until(
      () => steady.log.filter((e) => e.msg === 'chunk skipped: its job has ended' && e.job === id).length === 3 || undefined,
      60_000,
      'its three chunks skipped',
    );
    expect(steady.log.filter((e) => e.msg === 'chunk started' && e.job === id)).toEqual([]);
    expect(await statusOf(api.base, id)).toMatchObject({ state: 'failed', error });
  });

  it('a committed job whose flow never reached Redis is queued again by an instance’s upkeep once 10 minutes old, and a younger one is left alone', async () => {
    only([], [steady]);
    const lost = await postKokuhoJob(api.base, 100);
    const young = await postKokuhoJob(api.base, 100);
    // As if their instance had died between committing them and adding their flows.
    for (const id of [lost, young]) await (await cluster.assemble.getJob(parentId(id)))?.remove({ removeChildren: true });
    expect(await cluster.chunks.getJob(childId(lost, 0))).toBeUndefined();
    rewriteJobFile(cluster.dataDir, lost, (job) => Object.assign(job, { updatedAt: new Date(Date.now() - 11 * 60_000).toISOString() }));

    // Another instance starts: its upkeep (at its start, then with each retention sweep) finds the lost one.
    const second = await cluster.api();
    only([steady], []);
    expect(await waitForJob(second.base, lost, 60_000)).toMatchObject({ state: 'done', progress: { done: 100, total: 100, rejected: 0 } });
    await within(
      10_000,
      'the re-queue logged',
      second.first((e) => e.level === 40 && e.job === lost && /^job queued again/.test(e.msg as string)),
    );
    // The young one may still be on its way to Redis from a live instance: not queued twice.
    expect(await cluster.assemble.getJob(parentId(young))).toBeUndefined();
    expect(await statusOf(second.base, young)).toMatchObject({ state: 'queued' });
    expect(second.log.filter((e) => e.job === young)).toEqual([]);
  });

  it('a chunk and an assembly short of disk room wait for it, the job failed with why meanwhile, and go on where there is room', async () => {
    only([full], [steady]);
    const id = await postKokuhoJob(api.base, 100);
    await within(
      60_000,
      'the chunk to wait',
      full.first((e) => e.msg === 'chunk waits: disk full' && e.job === id),
    );
    expect(await statusOf(api.base, id)).toMatchObject({ state: 'failed', error: expect.stringMatching(DISK_FULL), retryable: true });

    // The chunk comes back after its wait (not counted as a try), to the worker with room; assemblies held back.
    await cluster.assemble.pause();
    only([steady], [full]);
    await within(
      60_000,
      'the chunk printed where there is room',
      steady.first((e) => e.msg === 'chunk done' && e.job === id),
    );
    const printed = await statusOf(api.base, id);
    expect(printed).toMatchObject({ state: 'running', progress: { done: 100, total: 100, rejected: 0 } });
    expect(printed.error).toBeUndefined();

    // The assembly, taken by the worker short of room, waits too.
    only([full], [steady]);
    await cluster.assemble.resume();
    await eventually(
      30_000,
      'the assembly to wait',
      async () =>
        (await cluster.assemble.getJobState(parentId(id))) === 'delayed' && (await cluster.redis.hexists(jobKey(id), 'blockedBy')) === 1,
    );
    expect(await statusOf(api.base, id)).toMatchObject({ state: 'failed', error: expect.stringMatching(DISK_FULL), retryable: true });

    // Taken after its wait by the worker with room (held at its chunk's PDF a moment): running, then done.
    const held = holdChunkPdf(cluster.dataDir, id, 0);
    only([steady], [full]);
    try {
      await held.reached(60_000);
      const assembling = await statusOf(api.base, id);
      expect(assembling).toMatchObject({ state: 'running' });
      expect(assembling.error).toBeUndefined();
    } finally {
      await held.release();
    }
    await within(
      30_000,
      'the assembly to end',
      steady.first((e) => e.msg === 'job assembled' && e.job === id),
    );
    expect(await statusOf(api.base, id)).toMatchObject({ state: 'done', progress: { done: 100, total: 100, rejected: 0 } });
    expect(full.log.filter((e) => e.job === id && ['chunk done', 'job assembled', 'assembly failed'].includes(e.msg as string))).toEqual(
      [],
    );
  });
});
