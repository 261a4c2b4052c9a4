// Workers of two builds (issue 29): each announces its Chromium and fonts; the first to take a chunk of a job
// fixes the job's build, the other leaves that job's chunks alone, and /metrics shows both builds and the
// chunks left. The builds differ by SHIKAKU_TEST_BUILD_SUFFIX (tests only): one machine has one Chromium.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { readyz, startApiOnly } from './helpers/api-only.ts';
import { JSON_AUTH, kokuhoRecords, waitForJob } from './helpers/service.ts';
import { killAll, startWorkerProcess, startedBy, type ServiceProcess } from './helpers/processes.ts';

const RECORDS = 600; // six chunks: the worker of the other build, idle, takes some of them while the first prints

describe('workers of different builds', () => {
  it("print one job's chunks with one build; /metrics shows workers by build and the chunks refused", async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-builds-'));
    const env = { SHIKAKU_REDIS_URL: redis.url, SHIKAKU_API_KEYS: 'test:test-key', SHIKAKU_SHUTDOWN_GRACE_S: '2' };
    const started: ServiceProcess[] = [];
    try {
      const api = await startApiOnly(dataDir, env);
      started.push(api);
      expect((await readyz(api.base)).status).toBe(200);
      const workers = await Promise.all(
        ['-a', '-b'].map((suffix) => startWorkerProcess({ dataDir, env: { ...env, SHIKAKU_TEST_BUILD_SUFFIX: suffix }, tabs: 1 })),
      );
      started.push(...workers);
      const builds = workers.map((w) => w.log.find((e) => e.msg === 'worker ready')?.build as string);
      expect(builds[0]).toMatch(/Chrome\/[\d.]+ fonts:[0-9a-f]{12}-a$/);
      expect(builds[1]).toBe(builds[0]?.replace(/-a$/, '-b'));

      const posted = await fetch(`${api.base}/v1/jobs?layout=kokuho-card`, {
        method: 'POST',
        headers: JSON_AUTH,
        body: JSON.stringify(kokuhoRecords(RECORDS)),
      });
      expect(posted.status).toBe(202);
      const { id } = (await posted.json()) as { id: string };
      const job = await waitForJob(api.base, id, 120_000);
      expect(job).toMatchObject({ state: 'done', progress: { done: RECORDS, total: RECORDS, rejected: 0 } });

      // Every chunk printed by one build, the one the job holds; the other worker took some and left them.
      const done = workers.flatMap((w) => w.log.filter((e) => e.msg === 'chunk done' && e.job === id));
      expect(done.map((e) => e.chunk).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      const r = new Redis(redis.url);
      const jobBuild = await r.hget(`shikaku:x:job:${id}`, 'build');
      r.disconnect();
      expect(builds).toContain(jobBuild);
      expect(new Set(done.map((e) => e.build))).toEqual(new Set([jobBuild]));
      const other = workers[builds.indexOf(jobBuild as string) === 0 ? 1 : 0] as ServiceProcess;
      const left = other.log.filter((e) => e.msg === 'chunk left for a worker of its build' && e.job === id);
      expect(left.length).toBeGreaterThan(0);
      expect(left[0]).toMatchObject({ jobBuild });

      const metrics = await (await fetch(`${api.base}/metrics`)).text();
      for (const build of builds) expect(metrics).toContain(`shikaku_workers_by_build{build="${build}"} 1`);
      const refused = Number(/^shikaku_chunks_refused_build_total (\d+)$/m.exec(metrics)?.[1]);
      expect(refused).toBeGreaterThanOrEqual(left.length);
    } finally {
      await Promise.all(started.map((p) => p.stop()));
      killAll(started.flatMap((p) => startedBy(p.pid)));
      await redis.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
