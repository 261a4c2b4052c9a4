// The service as integrators build on it, on loopback with real HTTP and a real Chromium: request ids
// kept, jobs listed and deleted, retention of personal data, idempotent job posts that survive a restart,
// and downloads that resume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, get, type IncomingHttpHeaders } from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import puppeteer from 'puppeteer-core';
import { chromiumPath } from '../engine/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageBoxes, pageCount, pageText } from './helpers/poppler.ts';
import { runMain } from './helpers/main-in-process.ts';
import { AUTH, startTestService, waitForJob, type TestService, JSON_AUTH, KOKUHO_SAMPLES, kokuhoRecords } from './helpers/service.ts';

const samples = KOKUHO_SAMPLES;
const records = kokuhoRecords;
const json = JSON_AUTH;
const OTHER = { authorization: 'Bearer other-key', 'content-type': 'application/json' };
const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-integrators-'));
let svc: TestService;

const post = (body: unknown, headers: Record<string, string> = json) =>
  fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, { method: 'POST', headers, body: JSON.stringify(body) });
const newJob = async (n: number, headers: Record<string, string> = json): Promise<string> => {
  const res = await post(records(n), headers);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
};

beforeAll(async () => {
  svc = await startTestService({ dataDir, apiKeys: ['test-key', 'other:other-key'] });
}, 60_000);
afterAll(async () => {
  await svc?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('request ids', () => {
  it("keeps a caller's sane X-Request-Id, echoes it and logs it; replaces one that is not", async () => {
    const mine = await fetch(`${svc.base}/v1/layouts`, { headers: { ...AUTH, 'x-request-id': 'erp-2026-11-30.0042' } });
    expect(mine.headers.get('x-request-id')).toBe('erp-2026-11-30.0042');
    // One line per request (pino-http): its id, method, path (no query), status and duration; no header, no key.
    const line = svc.logLines.find((l) => l.includes('"reqId":"erp-2026-11-30.0042"'));
    expect(JSON.parse(line as string)).toMatchObject({ msg: 'request', req: { method: 'GET', path: '/v1/layouts' }, res: { status: 200 } });
    expect(line).toMatch(/"ms":\d+/);
    expect(svc.logLines.join('')).not.toContain('test-key');
    for (const bad of ['two words', 'x'.repeat(129), 'a\tb']) {
      const res = await fetch(`${svc.base}/v1/layouts`, { headers: { ...AUTH, 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('downloads', () => {
  let id: string;
  beforeAll(async () => {
    id = await newJob(3);
    expect((await waitForJob(svc.base, id)).state).toBe('done');
  });

  it('answer with Content-Length, Content-Disposition, ETag and HEAD', async () => {
    const size = statSync(join(dataDir, 'jobs', id, 'result.pdf')).size;
    const head = await fetch(`${svc.base}/v1/jobs/${id}/result`, { method: 'HEAD', headers: AUTH });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
    expect(head.headers.get('content-type')).toBe('application/pdf');
    expect(head.headers.get('content-disposition')).toBe(`attachment; filename=kokuho-card-${id}.pdf`);
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect(head.headers.get('etag')).toBeTruthy();
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const manifest = await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH });
    expect(manifest.headers.get('content-disposition')).toBe(`attachment; filename=kokuho-card-${id}.manifest.json`);
    expect(((await manifest.json()) as { records: unknown[] }).records).toHaveLength(3);
    // (node:http: fetch adds Cache-Control: no-cache to a conditional request, which rightly defeats it)
    const again = await new Promise<number>((resolve, reject) =>
      get(`${svc.base}/v1/jobs/${id}/result`, { headers: { ...AUTH, 'if-none-match': head.headers.get('etag') as string } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(again).toBe(304);
  });

  it('resume a broken download with Range (206), and refuse a range past the end (416)', async () => {
    const whole = Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer());
    const first = await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: { ...AUTH, range: 'bytes=0-999' } });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-999/${whole.length}`);
    const etag = first.headers.get('etag') as string;
    const rest = await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: { ...AUTH, range: 'bytes=1000-', 'if-range': etag } });
    expect(rest.status).toBe(206);
    const joined = Buffer.concat([Buffer.from(await first.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
    expect(joined.equals(whole)).toBe(true);
    const past = await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: { ...AUTH, range: `bytes=${whole.length + 10}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });
});

describe('the list of jobs, and deleting one', () => {
  it('lists the key’s own jobs newest first, a page at a time, filtered by state', async () => {
    const mine = [await newJob(1), await newJob(1), await newJob(1)];
    const theirs = await newJob(1, OTHER);
    for (const id of mine) await waitForJob(svc.base, id);
    const list = async (query: string) =>
      (await (await fetch(`${svc.base}${query}`, { headers: AUTH })).json()) as { jobs: { id: string; state: string }[]; next?: string };
    const first = await list('/v1/jobs?limit=2');
    expect(first.jobs.map((j) => j.id)).toEqual([mine[2], mine[1]]);
    expect(first.next).toMatch(/^\/v1\/jobs\?limit=2&cursor=/);
    const second = await list(first.next as string);
    expect(second.jobs[0]?.id).toBe(mine[0]);
    const everything = [...first.jobs, ...second.jobs];
    expect(everything.map((j) => j.id)).not.toContain(theirs);
    expect((await list('/v1/jobs?state=done&limit=200')).jobs.every((j) => j.state === 'done')).toBe(true);
    expect((await fetch(`${svc.base}/v1/jobs?state=lost`, { headers: AUTH })).status).toBe(400);
  });

  it('deletes a finished job and everything of it; another key gets 404', async () => {
    const id = await newJob(2);
    await waitForJob(svc.base, id);
    expect((await fetch(`${svc.base}/v1/jobs/${id}`, { method: 'DELETE', headers: OTHER })).status).toBe(404);
    expect((await fetch(`${svc.base}/v1/jobs/${id}`, { method: 'DELETE', headers: AUTH })).status).toBe(204);
    expect((await fetch(`${svc.base}/v1/jobs/${id}`, { headers: AUTH })).status).toBe(404);
    expect((await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).status).toBe(404);
    expect(existsSync(join(dataDir, 'jobs', id))).toBe(false);
  });

  it('cancels a running job when it is deleted, and the next job still runs', async () => {
    const big = await newJob(600);
    for (let i = 0; ; i++) {
      const job = (await (await fetch(`${svc.base}/v1/jobs/${big}`, { headers: AUTH })).json()) as { progress: { done: number } };
      if (job.progress.done > 0) break;
      if (i > 300) throw new Error('the job never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now();
    expect((await fetch(`${svc.base}/v1/jobs/${big}`, { method: 'DELETE', headers: AUTH })).status).toBe(204);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(existsSync(join(dataDir, 'jobs', big))).toBe(false);
    expect(svc.logLines.join('')).toContain('"msg":"job cancelled"');
    const next = await newJob(1);
    expect((await waitForJob(svc.base, next)).state).toBe('done');
    expect(existsSync(join(dataDir, 'jobs', big))).toBe(false);
  }, 120_000);

  it('keeps no input records once a job is done: its folder holds the job, the result and the manifest', async () => {
    const id = await newJob(2);
    await waitForJob(svc.base, id);
    // The work files go just after the job is answered done (it is saved done first): polled for a moment.
    await expect
      .poll(() => readdirSync(join(dataDir, 'jobs', id)).sort(), { timeout: 5000 })
      .toEqual(['job.json', 'manifest.json', 'result.pdf']);
  });
});

describe('Idempotency-Key on POST /v1/jobs', () => {
  it('answers a retry with the first job (200, no second job), another body with 422 naming the key, and keeps keys over a restart', async () => {
    const body = records(2);
    const headers = { ...json, 'idempotency-key': 'renewal-2026-batch-7' };
    const first = await post(body, headers);
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const jobsBefore = readdirSync(join(dataDir, 'jobs')).length;
    const retry = await post(body, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(`/v1/jobs/${id}`);
    expect(((await retry.json()) as { id: string }).id).toBe(id);
    expect(readdirSync(join(dataDir, 'jobs')).length).toBe(jobsBefore);
    const other = await post(records(3), headers);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { detail: string }).detail).toContain(
      'Idempotency-Key "renewal-2026-batch-7" was used for another request',
    );
    // Another key's client may use the same key for its own job.
    expect((await post(body, { ...OTHER, 'idempotency-key': 'renewal-2026-batch-7' })).status).toBe(202);
    // Two at once with a new key: one job.
    const twin = { ...json, 'idempotency-key': 'twin' };
    const [a, b] = await Promise.all([post(body, twin), post(body, twin)]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(((await a.json()) as { id: string }).id).toBe(((await b.json()) as { id: string }).id);
    expect((await post(body, { ...json, 'idempotency-key': 'a key with spaces' })).status).toBe(400);
    await waitForJob(svc.base, id);
    // A restart keeps the keys.
    await svc.close();
    svc = await startTestService({ dataDir, apiKeys: ['test-key', 'other:other-key'] });
    const after = await post(body, headers);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { id: string }).id).toBe(id);
  }, 120_000);
});

describe('retention', () => {
  it('deletes a finished job, its result and manifest, once its retention period is over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-retention-'));
    const short = await startTestService({ dataDir: dir, retentionMs: 1500 });
    try {
      const res = await fetch(`${short.base}/v1/jobs?layout=kokuho-card`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(records(1)),
      });
      const { id } = (await res.json()) as { id: string };
      expect((await waitForJob(short.base, id)).state).toBe('done');
      for (let i = 0; existsSync(join(dir, 'jobs', id)); i++) {
        if (i > 100) throw new Error('the job was kept past its retention');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`${short.base}/v1/jobs/${id}`, { headers: AUTH })).status).toBe(404);
      expect(short.logLines.join('')).toContain('job deleted: past its retention period');
    } finally {
      await short.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('inputs', () => {
  it('takes a CSV whose header is in Japanese labels, and refuses one with a column that names no field with 422 before any job', async () => {
    const csv = readFileSync(new URL('../docs/samples/kokuho-card.sjis.csv', import.meta.url));
    const ok = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(ok.status).toBe(202);
    const { id } = (await ok.json()) as { id: string };
    const done = await waitForJob(svc.base, id);
    expect(done.progress.rejected).toBe(0);
    expect(done.progress.done).toBeGreaterThan(0);
    const jobs = readdirSync(join(dataDir, 'jobs')).length;
    const bad = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'text/csv' },
      body: '氏名,フリガナ名,番号\n山田 太郎,ヤマダ,1\n',
    });
    expect(bad.status).toBe(422);
    const problem = (await bad.json()) as { detail: string; errors: { path: string; message: string }[] };
    expect(problem.detail).toContain('the CSV header names 1 column(s) that are no field');
    expect(problem.errors).toEqual([
      expect.objectContaining({ path: 'column 2', message: expect.stringContaining('"フリガナ名" is no field') }),
    ]);
    expect(readdirSync(join(dataDir, 'jobs')).length).toBe(jobs);
  });

  it('checks ?page and ?dpi of a PNG render before rendering, and honours ?dpi', async () => {
    const one = JSON.stringify(samples[0]);
    const png = (query: string) =>
      fetch(`${svc.base}/v1/render/kokuho-card?${query}`, { method: 'POST', headers: { ...json, accept: 'image/png' }, body: one });
    const nine = await png('page=9');
    expect(nine.status).toBe(422);
    expect(((await nine.json()) as { detail: string }).detail).toBe(
      'page must be a whole number from 1 to 2 (1 record(s) of 2 side(s)), not 9',
    );
    const coarse = await png('dpi=20');
    expect(coarse.status).toBe(400);
    expect(((await coarse.json()) as { detail: string }).detail).toMatch(/^dpi: /);
    const small = Buffer.from(await (await png('page=2&dpi=150')).arrayBuffer());
    expect([small.readUInt32BE(16), small.readUInt32BE(20)]).toEqual([506, 319]); // 85.60 × 53.98 mm at 150 dpi
  });
});

describe('webhooks', () => {
  it('POSTs a signed webhook when a job ends, retried with backoff until the receiver takes it', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const answers = [503, 200];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/print-done`;
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-webhooks-'));
    const secret = 'a-webhook-secret-of-some-length';
    const hooked = await startTestService({
      dataDir: dir,
      webhooks: { secret, hosts: ['127.0.0.1', '169.254.169.254'], backoffMs: [300, 300] },
    });
    try {
      const postTo = (url: string) =>
        fetch(`${hooked.base}/v1/jobs?layout=kokuho-card&callbackUrl=${encodeURIComponent(url)}`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(records(2)),
        });
      // Only allow-listed hosts, and never a link-local or metadata address, even when listed.
      const off = await postTo('http://evil.example/hook');
      expect(off.status).toBe(422);
      expect(((await off.json()) as { detail: string }).detail).toContain('host evil.example is not on the allow-list');
      const metadata = await postTo('http://169.254.169.254/latest/meta-data');
      expect(metadata.status).toBe(422);
      expect(((await metadata.json()) as { detail: string }).detail).toContain('link-local, metadata or unspecified');
      const res = await postTo(hook);
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      expect((await waitForJob(hooked.base, id)).state).toBe('done');
      for (let i = 0; received.length < 2; i++) {
        if (i > 100) throw new Error(`webhook attempts seen: ${received.length}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const [first, second] = received;
      expect(second!.headers['x-shikaku-delivery']).toBe(first!.headers['x-shikaku-delivery']);
      expect(second!.headers['x-shikaku-event']).toBe('job.done');
      const body = JSON.parse(second!.body) as { event: string; job: { id: string; state: string; result: string } };
      expect(body).toMatchObject({ event: 'job.done', job: { id, state: 'done', result: `/v1/jobs/${id}/result` } });
      // The signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with the shared secret.
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(second!.headers['x-shikaku-signature'])) ?? [];
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${second!.body}`).digest('hex'));
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
      // No record's value travels in a webhook.
      for (const value of [samples[0]!.name, samples[1]!.name, '0000001']) expect(second!.body).not.toContain(value as string);
      // The service logs the delivery once the receiver's answer is in: just after the receiver saw the request.
      for (let i = 0; !hooked.logLines.join('').includes('webhook delivered'); i++) {
        if (i > 100) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const log = hooked.logLines.join('');
      expect(log).toContain('webhook not delivered; retrying');
      expect(log).toContain('webhook delivered');
      expect(log).not.toContain(hook); // the receiver's URL stays out of the log, too
      // The configuration is logged at start, its secrets left out.
      const config = hooked.logLines.find((l) => l.includes('"msg":"configuration"'));
      expect(config).toContain('"webhooks":{"hosts":["127.0.0.1","169.254.169.254"],"secret":"set"}');
      expect(config).toContain('"retentionHours":72');
      expect(log).not.toContain(secret);
      expect(log).not.toContain('test-key');
    } finally {
      await hooked.close();
      receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps retrying after a restart: the pending delivery is saved with the job and resumed when due', async () => {
    const received: IncomingHttpHeaders[] = [];
    let answer = 503;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.headers);
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/print-done`;
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-webhooks-'));
    const options = { dataDir: dir, webhooks: { secret: 'another-webhook-secret', hosts: ['127.0.0.1'], backoffMs: [3000, 3000] } };
    const waitFor = async (what: () => boolean) => {
      for (let i = 0; !what(); i++) {
        if (i > 200) throw new Error(`webhook attempts seen: ${received.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const status = async (base: string, id: string) =>
      ((await (await fetch(`${base}/v1/jobs/${id}`, { headers: AUTH })).json()) as { webhook?: Record<string, unknown> }).webhook;
    let first: TestService | undefined = await startTestService(options);
    let second: TestService | undefined;
    try {
      const res = await fetch(`${first.base}/v1/jobs?layout=kokuho-card&callbackUrl=${encodeURIComponent(hook)}`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(records(1)),
      });
      const { id } = (await res.json()) as { id: string };
      expect((await waitForJob(first.base, id)).state).toBe('done');
      await waitFor(() => received.length === 1);
      // The attempt's outcome is saved with the job right after the answer.
      await waitFor(() => first!.logLines.some((l) => l.includes('webhook not delivered; retrying')));
      expect(await status(first.base, id)).toMatchObject({ state: 'pending', attempts: 1 });
      await first.close(); // before the retry is due
      first = undefined;
      answer = 200;
      second = await startTestService(options);
      await waitFor(() => received.length === 2);
      expect(received[1]!['x-shikaku-delivery']).toBe(received[0]!['x-shikaku-delivery']);
      await waitFor(() => second!.logLines.some((l) => l.includes('webhook delivered')));
      expect(await status(second.base, id)).toMatchObject({ state: 'delivered', attempts: 2 });
    } finally {
      await first?.close();
      await second?.close();
      receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a callbackUrl where webhooks are not set up', async () => {
    const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card&callbackUrl=${encodeURIComponent('http://127.0.0.1:9/x')}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(records(1)),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toContain('SHIKAKU_WEBHOOK_SECRET and SHIKAKU_WEBHOOK_HOSTS');
  });
});

describe('manifests a QA reviewer diffs', () => {
  it("carry the field map, so a diff of two jobs' results names the field that changed; with bleed it moves by 3 mm", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-jobdiff-'));
    try {
      const run = async (name: string, body: unknown[], query = '') => {
        const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card${query}`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(body),
        });
        const { id } = (await res.json()) as { id: string };
        expect((await waitForJob(svc.base, id)).state).toBe('done');
        const pdf = join(dir, `${name}.pdf`);
        writeFileSync(pdf, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
        const manifest = await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).text();
        writeFileSync(`${pdf}.manifest.json`, manifest);
        return { pdf, manifest: JSON.parse(manifest) as { fieldMap?: { side: string; fields: { field: string; boxMm: number[][] }[] }[] } };
      };
      const before = records(3) as Record<string, string>[];
      const after = before.map((r, i) => (i === 1 ? { ...r, name: '山田 花子' } : r));
      const a = await run('a', before);
      const b = await run('b', after);
      const nameBox = (m: typeof a.manifest) => m.fieldMap?.find((s) => s.side === 'front')?.fields.find((f) => f.field === 'name')?.boxMm;
      expect(nameBox(a.manifest)).toEqual([[10.5, 18, 48.5, 3.8]]); // as the CLI's manifest has it
      const diff = await runMain('diff', a.pdf, b.pdf, '--dpi', '150', '--report', join(dir, 'report'));
      expect(diff.code).toBe(1);
      const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as {
        aligned: string;
        records: { status: string; changes: { field?: string }[] }[];
      };
      expect(report.aligned).toBe('record');
      expect(report.records.map((r) => r.status)).toEqual(['same', 'changed', 'same']);
      expect(report.records[1]!.changes.map((c) => c.field)).toContain('氏名');
      const bled = await run('bleed', before, '&bleed=true');
      expect(nameBox(bled.manifest)).toEqual([[13.5, 21, 48.5, 3.8]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('split output', () => {
  // Info-ZIP reads the archives: an independent reader, with UTF-8 names.
  const unzip = (...args: string[]) => execFileSync('unzip', args, { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const keyOf = (r: Record<string, string>) => `${r.insurerNumber}-${r.symbol}-${r.number}-${r.branch}`;
  /** Posts `body` as a kokuho-card job with `query`, waits until it is done and downloads its ZIP into `dir`. */
  const splitJob = async (query: string, body: unknown[], dir: string): Promise<{ id: string; zip: string }> => {
    const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card&${query}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await waitForJob(svc.base, id)).state).toBe('done');
    return { id, zip: await download(id, dir) };
  };
  const download = async (id: string, dir: string): Promise<string> => {
    const res = await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=kokuho-card-${id}.zip`);
    const zip = join(dir, `${id}.zip`);
    writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
    unzip('-tqq', zip); // every file's CRC checks out
    return zip;
  };
  const manifestOf = async (id: string) =>
    ((await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as { records: Record<string, unknown>[] })
      .records;

  it('split=record: a ZIP of one PDF per record named by its key (ref first), the manifest naming each file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-split-'));
    try {
      const [a, b, c] = records(3) as Record<string, string>[];
      const body = [{ ...a, ref: 'ERP/0042' }, b, { ...c, name: '' }, b]; // a bad record, and one key twice
      const { id, zip } = await splitJob('split=record', body, dir);
      const names = [`ERP_0042.pdf`, `${keyOf(b!)}.pdf`, `${keyOf(b!)}~2.pdf`];
      expect(unzip('-Z1', zip).toString().trim().split('\n')).toEqual(names);
      expect(await manifestOf(id)).toEqual([
        { record: 1, key: 'ERP/0042', file: names[0], pages: [1, 2] },
        { record: 2, key: keyOf(b!), file: names[1], pages: [1, 2] },
        { record: 3, rejected: [expect.objectContaining({ path: 'name' })] },
        { record: 4, key: keyOf(b!), file: names[2], pages: [1, 2] },
      ]);
      for (const [k, name] of names.entries()) {
        const pdf = join(dir, `${k}.pdf`);
        writeFileSync(pdf, unzip('-p', zip, name));
        expect(pageCount(pdf)).toBe(2);
        // 85.60 × 53.98 mm, the card's trim
        for (const { media } of pageBoxes(pdf)) expect(media.map((v) => Math.round(v * 100))).toEqual([0, 0, 24265, 15301]);
        const person = k === 0 ? a! : b!;
        expect(pageText(pdf, 1)).toContain(person.name!.split(' ')[0]);
        expect(pageText(pdf, 1)).toContain(person.number);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('split=N: files of N printed records, part-0001.pdf …, pages counted in each file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-split-'));
    try {
      const body = records(5) as Record<string, string>[];
      body[2] = { ...body[2]!, birthDate: 'yesterday' };
      const { id, zip } = await splitJob('split=2', body, dir);
      expect(unzip('-Z1', zip).toString().trim().split('\n')).toEqual(['part-0001.pdf', 'part-0002.pdf']);
      const manifest = await manifestOf(id);
      expect(manifest.map((r) => [r.record, r.file, r.pages])).toEqual([
        [1, 'part-0001.pdf', [1, 2]],
        [2, 'part-0001.pdf', [3, 4]],
        [3, undefined, undefined],
        [4, 'part-0002.pdf', [1, 2]],
        [5, 'part-0002.pdf', [3, 4]],
      ]);
      writeFileSync(join(dir, 'p2.pdf'), unzip('-p', zip, 'part-0002.pdf'));
      expect(pageCount(join(dir, 'p2.pdf'))).toBe(4);
      expect(pageText(join(dir, 'p2.pdf'), 3)).toContain(body[4]!.number);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('split=N across chunks: files of N records spanning 100-record chunks, in order, a rejected record left out; no key in PDF metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-split-'));
    try {
      const body = records(150) as Record<string, string>[];
      body[99] = { ...body[99]!, birthDate: 'yesterday' }; // record 100: the last of the first chunk's input
      const { id, zip } = await splitJob('split=40', body, dir);
      const names = ['part-0001.pdf', 'part-0002.pdf', 'part-0003.pdf', 'part-0004.pdf'];
      expect(unzip('-Z1', zip).toString().trim().split('\n')).toEqual(names);
      const manifest = await manifestOf(id);
      // Printed records 81-99 and 101-121 make the third file: it spans the two chunks.
      expect(manifest[80]).toMatchObject({ record: 81, file: 'part-0003.pdf', pages: [1, 2] });
      expect(manifest[99]).toMatchObject({ record: 100, rejected: [expect.objectContaining({ path: 'birthDate' })] });
      expect(manifest[100]).toMatchObject({ record: 101, file: 'part-0003.pdf', pages: [39, 40] });
      expect(manifest[120]).toMatchObject({ record: 121, file: 'part-0003.pdf', pages: [79, 80] });
      expect(manifest[121]).toMatchObject({ record: 122, file: 'part-0004.pdf', pages: [1, 2] });
      const pages = names.map((name, k) => {
        const pdf = join(dir, `p${k}.pdf`);
        writeFileSync(pdf, unzip('-p', zip, name));
        return pdf;
      });
      expect(pages.map(pageCount)).toEqual([80, 80, 80, 58]);
      expect(pageText(pages[2]!, 39)).toContain(body[100]!.number); // record 101, after the rejected one
      expect(pageText(pages[2]!, 37)).toContain(body[98]!.number); // record 99, before it
      const info = execFileSync('pdfinfo', [pages[0]!]).toString();
      expect(info).toMatch(/Subject:\s+kokuho-card: job /);
      for (const r of body.slice(0, 40)) expect(info).not.toContain(r.number);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a split it cannot make, before any job: a bad value, with imposition or press colour, or on a sync render', async () => {
    for (const [query, words] of [
      ['split=0', /split expects record .* or N/],
      ['split=all', /split expects record/],
      ['split=record&impose=a4', /leave impose out/],
      ['split=10&color=press', /color=press/],
    ] as const) {
      const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card&${query}`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(records(1)),
      });
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toMatch(words);
    }
    const sync = await fetch(`${svc.base}/v1/render/kokuho-card?split=record`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(records(1)),
    });
    expect(sync.status).toBe(422);
    expect(((await sync.json()) as { detail: string }).detail).toMatch(/POST \/v1\/jobs\?split=/);
  });
});

describe('the API description', () => {
  it('is a valid OpenAPI 3.1 document at /v1/openapi.json that has every route of the app, and / points to it and to /docs', async () => {
    expect(await (await fetch(`${svc.base}/`)).json()).toEqual({ openapi: '/v1/openapi.json', docs: '/docs' });
    const res = await fetch(`${svc.base}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    // Every route the express app has, with each of its methods (GET routes answer HEAD too).
    const app = svc.server.listeners('request')[0] as unknown as {
      router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    };
    const routes = app.router.stack.flatMap((layer) =>
      layer.route ? Object.keys(layer.route.methods).map((m) => [layer.route!.path.replace(/:(\w+)/g, '{$1}'), m] as const) : [],
    );
    expect(routes.length).toBeGreaterThan(12);
    const missing = routes.filter(([path, method]) => path !== '/docs/init.js' && !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
    // The documented statuses are the ones answered: a job list with a wrong state is the documented 400.
    expect(Object.keys(doc.paths['/v1/jobs']!.get as object)).toContain('responses');
    expect((await fetch(`${svc.base}/v1/jobs?state=lost`, { headers: AUTH })).status).toBe(400);
  });

  it('reads at /docs, offline: the page asks nothing of any other host', async () => {
    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const outside: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(svc.base) && !r.url().startsWith('data:')) outside.push(r.url());
      });
      page.on('pageerror', (e) => errors.push((e as Error).message));
      await page.goto(`${svc.base}/docs`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const operations = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent));
      expect(operations).toContain('/v1/jobs/{id}/result');
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
