// Scale-out (issue 16): a Redis of our own, an API instance and workers as operators start them, all on
// loopback. A worker SIGKILLed while it holds a chunk loses it to another after its lease, and the job
// still prints every record exactly once, in input order.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../cli/redis-server.ts';
import { AUTH, JSON_AUTH, kokuhoRecords, postKokuhoJob, waitForJob } from './helpers/service.ts';
import {
  killAll,
  killHard,
  sleep,
  startServiceProcess,
  startWorkerProcess,
  startedBy,
  stopServiceProcess,
  survivorsAfter,
  type ServiceProcess,
} from './helpers/processes.ts';

/** The lease the tests run with: takeover within lease + half of it. */
const LEASE_S = 10;

/** The first log line of `processes` that `match`es, and whose it is; polls until `ms`. */
async function firstLog(
  processes: ServiceProcess[],
  match: (e: Record<string, unknown>) => boolean,
  ms: number,
): Promise<{ process: ServiceProcess; entry: Record<string, unknown> }> {
  const until = Date.now() + ms;
  for (;;) {
    for (const p of processes) {
      const entry = p.log.find(match);
      if (entry) return { process: p, entry };
    }
    if (Date.now() > until) throw new Error('no such log line');
    await sleep(20);
  }
}

/** A cluster on loopback: Redis, one API instance, workers; everything stopped and removed by `close`. */
async function startCluster(workers: number[], more: NodeJS.ProcessEnv = {}) {
  const redis: RedisProcess = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-cluster-'));
  const env = {
    SHIKAKU_REDIS_URL: redis.url,
    SHIKAKU_API_KEYS: 'test:test-key',
    SHIKAKU_CHUNK_LEASE_S: String(LEASE_S),
    SHIKAKU_SHUTDOWN_GRACE_S: '2',
    // Jobs of more than 7 chunks go into Redis in steps (job-flow.ts): the 2,000-record job's 20 in three,
    // so the stepped flow is printed here by real workers, one of them killed, as a 100,000-record job's is.
    SHIKAKU_FLOW_STEP: '7',
    ...more,
  };
  const started: ServiceProcess[] = [];
  const close = async () => {
    await Promise.all(started.map((p) => stopServiceProcess(p)));
    killAll(started.flatMap((p) => startedBy(p.pid)));
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const api = await startServiceProcess({ dataDir, env });
    started.push(api);
    const ws = await Promise.all(workers.map((tabs) => startWorkerProcess({ dataDir, env, tabs })));
    started.push(...ws);
    return { redis, dataDir, env, api, workers: ws, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The 番号 printed on each page of a PDF (undefined on a page without one: a back). */
function numbersOnPages(pdf: string): (string | undefined)[] {
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return text
    .split('\f')
    .slice(0, -1)
    .map((page) => /番\s*号\s+(\d{7})/.exec(page)?.[1]);
}

/** Checks a finished job's result and manifest: every record once, in input order, fronts and backs. */
async function expectEveryRecordOnceInOrder(base: string, id: string, n: number): Promise<void> {
  const res = await fetch(`${base}/v1/jobs/${id}/result`, { headers: AUTH });
  expect(res.status).toBe(200);
  const pdf = join(mkdtempSync(join(tmpdir(), 'shikaku-cluster-result-')), 'result.pdf');
  writeFileSync(pdf, Buffer.from(await res.arrayBuffer()));
  const numbers = numbersOnPages(pdf);
  rmSync(pdf, { force: true });
  expect(numbers.length).toBe(2 * n);
  const wrong = numbers.flatMap((got, p) => {
    const want = p % 2 === 0 ? String(p / 2 + 1).padStart(7, '0') : undefined;
    return got === want ? [] : [{ page: p + 1, want, got }];
  });
  expect(wrong).toEqual([]);
  const manifest = (await (await fetch(`${base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as {
    records: { record: number; key: string; pages: number[] }[];
  };
  expect(manifest.records.length).toBe(n);
  expect(manifest.records.filter((r, i) => r.record !== i + 1 || r.pages[0] !== 2 * i + 1 || r.pages[1] !== 2 * i + 2)).toEqual([]);
  expect(new Set(manifest.records.map((r) => r.key)).size).toBe(n);
}

describe('scale-out on BullMQ and Redis', () => {
  it('a worker SIGKILLed holding a chunk loses it to another after its lease; 2,000 records print once each, in order', async () => {
    const cluster = await startCluster([1, 1]);
    try {
      const { api, workers } = cluster;
      const id = await postKokuhoJob(api.base, 2000);
      // Its 20 chunks went into Redis in steps of 7 (SHIKAKU_FLOW_STEP), its assembly held until the last.
      await firstLog([api], (e) => e.msg === 'job flow added in steps' && e.job === id && e.chunks === 20 && e.steps === 3, 60_000);
      const { process: victim, entry } = await firstLog(workers, (e) => e.msg === 'chunk started' && e.job === id, 60_000);
      const chromium = startedBy(victim.pid);
      expect(chromium.length).toBeGreaterThan(0);
      await killHard(victim);
      const killedAt = Date.now();
      const survivor = workers.find((w) => w !== victim) as ServiceProcess;
      const job = await waitForJob(api.base, id, 240_000);
      expect(job.state).toBe('done');
      expect(job.progress).toEqual({ done: 2000, total: 2000, rejected: 0 });
      await expectEveryRecordOnceInOrder(api.base, id, 2000);
      // The victim's chunk came back through the stall check, after its lease and within lease + interval.
      const takeover = survivor.log.find((e) => e.msg === 'chunk started' && e.job === id && e.chunk === entry.chunk);
      expect(takeover).toMatchObject({ stalls: 1 });
      const after = Date.parse(takeover?.time as string) - killedAt;
      expect(after).toBeGreaterThan((LEASE_S - 1.5) * 1000);
      expect(after).toBeLessThan(LEASE_S * 2.5 * 1000);
      expect(await survivorsAfter(chromium, 5000)).toEqual([]);
      // Its work files are gone, and no file of the dead worker's half-printed chunk was left (they go just after
      // the job is saved done: polled for a moment).
      await expect
        .poll(() => readdirSync(join(cluster.dataDir, 'jobs', id)).sort(), { timeout: 5000 })
        .toEqual(['job.json', 'manifest.json', 'result.pdf']);
      // The API sees one worker alive once the dead one's heartbeat has run out.
      const until = Date.now() + 25_000;
      let alive = '';
      while (Date.now() < until && alive !== '1') {
        const metrics = await (await fetch(`${api.base}/metrics`)).text();
        alive = /^shikaku_workers_alive (\d+)$/m.exec(metrics)?.[1] ?? '';
        if (alive !== '1') await sleep(500);
      }
      expect(alive).toBe('1');
    } finally {
      await cluster.close();
    }
  });

  it('a stopped worker puts its chunk back at once; with Redis down the API says so and takes nothing, and the job goes on after; a small job passes a big one; a chunk that cannot print fails its job naming it', async () => {
    const cluster = await startCluster([1, 1], { SHIKAKU_SHUTDOWN_GRACE_S: '0' });
    try {
      const { api, workers, redis, dataDir } = cluster;
      const big = await postKokuhoJob(api.base, 1200);
      // A graceful stop past its grace period: the chunk in hand goes back to the queue, not to a stall.
      const { process: leaving, entry } = await firstLog(workers, (e) => e.msg === 'chunk started' && e.job === big, 60_000);
      const staying = workers.find((w) => w !== leaving) as ServiceProcess;
      expect(await stopServiceProcess(leaving)).toBe(0);
      expect(leaving.log).toContainEqual(expect.objectContaining({ msg: 'chunk returned', job: big, chunk: entry.chunk }));
      expect(leaving.log.filter((e) => e.msg === 'chunk done' && e.chunk === entry.chunk && e.job === big)).toEqual([]);
      const back = await firstLog([staying], (e) => e.msg === 'chunk started' && e.job === big && e.chunk === entry.chunk, 90_000);
      expect(back.entry).toMatchObject({ stalls: 0 });

      // Redis stops mid-job: the API is not ready and refuses new jobs with 503, keeping nothing of them.
      await redis.stop();
      const ready = async () => (await fetch(`${api.base}/readyz`)).json() as Promise<{ ready: boolean; redis: boolean }>;
      for (let i = 0; i < 50 && (await ready()).redis; i++) await sleep(100);
      expect(await ready()).toMatchObject({ ready: false, redis: false });
      const refused = await fetch(`${api.base}/v1/jobs?layout=kokuho-card`, {
        method: 'POST',
        headers: JSON_AUTH,
        body: JSON.stringify(kokuhoRecords(10)),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(readdirSync(join(dataDir, 'jobs'))).toEqual([big]);
      expect(readdirSync(join(dataDir, 'incoming'))).toEqual([]);
      // Redis comes back from its append-only file with the job in it.
      await redis.start();
      for (let i = 0; i < 100 && !(await ready()).ready; i++) await sleep(100);
      expect(await ready()).toMatchObject({ ready: true, redis: true });

      // A one-chunk job posted behind the big one's many is printed first (a priority by size).
      const small = await postKokuhoJob(api.base, 100);
      expect((await waitForJob(api.base, small, 60_000)).state).toBe('done');
      const bigNow = (await (await fetch(`${api.base}/v1/jobs/${big}`, { headers: AUTH })).json()) as { state: string };
      expect(bigNow.state).toBe('running');
      await expectEveryRecordOnceInOrder(api.base, small, 100);

      // A job deleted while it prints: 204, no chunk of it started after the answer, nothing of it left.
      const gone = await postKokuhoJob(api.base, 300);
      await firstLog([staying], (e) => e.msg === 'chunk done' && e.job === gone, 60_000);
      expect((await fetch(`${api.base}/v1/jobs/${gone}`, { method: 'DELETE', headers: AUTH })).status).toBe(204);
      const answered = staying.log.length;
      expect((await fetch(`${api.base}/v1/jobs/${gone}`, { headers: AUTH })).status).toBe(404);

      const job = await waitForJob(api.base, big, 240_000);
      expect(job).toMatchObject({ state: 'done', progress: { done: 1200, total: 1200, rejected: 0 } });
      expect(staying.log.slice(answered).filter((e) => e.msg === 'chunk started' && e.job === gone)).toEqual([]);
      expect(readdirSync(join(dataDir, 'jobs')).sort()).toEqual([big, small].sort());

      // A chunk that cannot be printed (its input is gone) fails its job once its tries are spent, naming
      // the chunk; what the other chunks printed is counted. (The one tab prints chunks 1 and 2 first:
      // seconds, against the moment it takes to remove chunk 3's input after the 202.)
      const broken = await postKokuhoJob(api.base, 300);
      rmSync(join(dataDir, 'jobs', broken, 'input', '000002.json'));
      const failed = (await waitForJob(api.base, broken, 60_000)) as { state: string; error?: string; progress: unknown };
      expect(failed).toMatchObject({
        state: 'failed',
        error: 'chunk 3 could not be printed: internal error',
        progress: { done: 200, total: 300 },
      });
      expect(staying.log.filter((e) => e.msg === 'chunk failed' && e.job === broken && e.chunk === 2).length).toBe(2);
    } finally {
      await cluster.close();
    }
  });
});
