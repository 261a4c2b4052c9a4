// `serve --api-only` (issue 29): a cluster's API instance with no Chromium at all (CHROME_PATH names
// nothing) is ready once Redis is, and its counter prints are printed by a worker and answered within their
// time limit; nothing of their records stays in Redis.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { startApiOnly, readyz } from './helpers/api-only.ts';
import { cli } from './helpers/cli.ts';
import { AUTH, JSON_AUTH, kokuhoRecords, startTestService } from './helpers/service.ts';
import { killAll, startWorkerProcess, startedBy, type ServiceProcess } from './helpers/processes.ts';

/** A name no sample holds: searched for in everything Redis keeps. */
const NAME = '検見川 澄子';
const records = (n: number) => kokuhoRecords(n).map((r) => ({ ...r, name: NAME, householderName: NAME }));

/** Every value Redis holds, as text: strings, lists, hashes, sets, sorted sets and streams. */
async function everythingIn(url: string): Promise<string> {
  const r = new Redis(url);
  try {
    const out: string[] = [];
    for (const key of await r.keys('*')) {
      const type = await r.type(key);
      const read: Record<string, () => Promise<unknown>> = {
        string: () => r.getBuffer(key).then((b) => b?.toString('utf8')),
        list: () => r.lrange(key, 0, -1),
        hash: () => r.hgetall(key),
        set: () => r.smembers(key),
        zset: () => r.zrange(key, 0, -1),
        stream: () => r.xrange(key, '-', '+'),
      };
      out.push(key, JSON.stringify(await read[type]?.()));
    }
    return out.join('\n');
  } finally {
    r.disconnect();
  }
}

/** A process's command line ('' once it is gone). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

const pagesOf = (pdf: string) => Number(/^Pages:\s+(\d+)$/m.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))?.[1]);

describe('serve --api-only', () => {
  it('answers /readyz 200 without Chromium, prints counter PDFs and PNGs on a worker as a local render does, and leaves nothing of them in Redis', async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-api-only-'));
    const env = { SHIKAKU_REDIS_URL: redis.url, SHIKAKU_API_KEYS: 'test:test-key', SHIKAKU_SHUTDOWN_GRACE_S: '2' };
    const started: ServiceProcess[] = [];
    try {
      const api = await startApiOnly(dataDir, { ...env, CHROME_PATH: '/nonexistent/chromium' });
      started.push(api);
      // Ready with Redis alone, before any worker exists; and it started no browser.
      const ready = await readyz(api.base);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        ready: true,
        browser: false,
        redis: true,
        counterPrints: 'workers',
        dependsOn: ['redis', 'disk'],
      });
      expect(startedBy(api.pid).filter((pid) => /chrom/i.test(cmdline(pid)))).toEqual([]);

      // No worker takes it: 503 at the time limit, and its records leave Redis with it.
      const quick = await startTestService({ dataDir, redisUrl: redis.url, apiOnly: true, renderTimeoutMs: 1500 });
      try {
        const at = Date.now();
        const late = await fetch(`${quick.base}/v1/render/kokuho-card`, {
          method: 'POST',
          headers: JSON_AUTH,
          body: JSON.stringify(records(1)),
        });
        expect(late.status).toBe(503);
        expect(Date.now() - at).toBeLessThan(5000);
        expect(((await late.json()) as { detail: string }).detail).toContain('1500 ms');
      } finally {
        await quick.close();
      }
      expect(await everythingIn(redis.url)).not.toContain(NAME);

      const { CHROME_PATH: _none, ...withChromium } = env as NodeJS.ProcessEnv;
      started.push(await startWorkerProcess({ dataDir, env: withChromium, tabs: 1 }));
      const post = (body: unknown, query = '', headers: Record<string, string> = {}) =>
        fetch(`${api.base}/v1/render/kokuho-card${query}`, {
          method: 'POST',
          headers: { ...JSON_AUTH, ...headers },
          body: JSON.stringify(body),
        });

      const pdf = await post(records(2));
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const work = mkdtempSync(join(tmpdir(), 'shikaku-api-only-out-'));
      writeFileSync(join(work, 'remote.pdf'), Buffer.from(await pdf.arrayBuffer()));
      writeFileSync(join(work, 'records.json'), JSON.stringify(records(2)));
      const local = await cli('render', '--layout', 'kokuho-card', '--data', join(work, 'records.json'), '--out', join(work, 'local.pdf'));
      expect(local.code).toBe(0);
      expect(pagesOf(join(work, 'remote.pdf'))).toBe(4);
      expect(pagesOf(join(work, 'remote.pdf'))).toBe(pagesOf(join(work, 'local.pdf')));
      expect(execFileSync('pdftotext', [join(work, 'remote.pdf'), '-'], { encoding: 'utf8' })).toContain('0000002');
      rmSync(work, { recursive: true, force: true });

      const png = await post(records(2), '?page=3&dpi=100', { accept: 'image/png' });
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString('latin1'),
      ).toBe('PNG');

      // A render's own refusal comes back as the same answer a local render gives: 422 naming the field.
      const wrong = await post([{ ...records(1)[0], birthDate: '1984-13-40' }]);
      expect(wrong.status).toBe(422);
      expect(JSON.stringify(await wrong.json())).toContain('birthDate');

      expect(await everythingIn(redis.url)).not.toContain(NAME);
      expect(
        (await (await fetch(`${api.base}/metrics`, { headers: AUTH })).text()).match(
          /shikaku_pages_rendered_total\{layout="kokuho-card"\} (\d+)/,
        )?.[1],
      ).toBe('8');
    } finally {
      await Promise.all(started.map((p) => p.stop()));
      killAll(started.flatMap((p) => startedBy(p.pid)));
      await redis.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
