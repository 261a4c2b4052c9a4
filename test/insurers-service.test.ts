// Insurer profiles through the command line (render --insurers) and the service (SHIKAKU_INSURERS_DIR).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_INSURERS_DIR } from '../engine/index.ts';
import { configFromEnv } from '../server/index.ts';
import { pageText } from './helpers/poppler.ts';
import { runMain } from './helpers/main-in-process.ts';
import { AUTH, startTestService, waitForJob } from './helpers/service.ts';
import { koukiPerson, profilesDir } from './helpers/insurer-people.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-insurers-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('insurer profiles: the command line and the service', () => {
  it('render --insurers DIR completes records from that folder; without a profile it exits 2 naming the number', async () => {
    const data = join(dir, 'kouki.json');
    writeFileSync(data, JSON.stringify([koukiPerson]));
    const ok = await runMain(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli.pdf'),
      '--insurers',
      SAMPLE_INSURERS_DIR,
      '--quiet',
    );
    expect(ok.code).toBe(0);
    expect(pageText(join(dir, 'cli.pdf'), 1)).toContain('島根県後期高齢者医療広域連合');
    const bad = await runMain(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli2.pdf'),
      '--insurers',
      profilesDir(dir, []),
      '--quiet',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no insurer profile for 保険者番号 39320015');
    const missing = await runMain(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli3.pdf'),
      '--insurers',
      join(dir, 'nowhere'),
      '--quiet',
    );
    expect(missing.code).toBe(2); // a folder named on the command line that is not there: bad usage
    expect(missing.stderr).toContain('does not exist');
  });

  it("SHIKAKU_INSURERS_DIR names the service's folder; a job prints records completed from it and rejects the one without, naming the number", async () => {
    expect(configFromEnv({ SHIKAKU_INSURERS_DIR: '/srv/insurers' }).insurersDir).toBe('/srv/insurers');
    expect(configFromEnv({}).insurersDir).toBeUndefined();
    const svc = await startTestService({ engine: { insurersDir: SAMPLE_INSURERS_DIR, tabs: 1 } });
    try {
      const res = await fetch(`${svc.base}/v1/jobs?layout=kouki-card`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify([koukiPerson, { ...koukiPerson, insurerNumber: '39010004' }]),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const job = await waitForJob(svc.base, id);
      expect(job.state).toBe('done');
      expect(job.progress).toMatchObject({ done: 1, total: 2, rejected: 1 });
      expect(job.rejections[0]).toMatchObject({ record: 2, path: 'insurerName' });
      expect(job.rejections[0]?.message).toContain('no insurer profile for 保険者番号 39010004');
      const pdf = join(dir, 'job.pdf');
      writeFileSync(pdf, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
      expect(pageText(pdf, 1)).toContain('島根県後期高齢者医療広域連合');
    } finally {
      await svc.close();
    }
  });
});
