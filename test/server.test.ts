// The HTTP print service: routes, statuses, auth, limits, the log, and markup in a name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../server/index.ts';
import { AUTH, startTestService, waitForJob, type TestService } from './helpers/service.ts';
import { pageCount, pageText } from './helpers/poppler.ts';

const samples = JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-server-'));
const json = { ...AUTH, 'content-type': 'application/json' };
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.close());

const render = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${svc.base}/v1/render/kokuho-card`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

describe('probes and metrics', () => {
  it('answers /healthz and /readyz without a key', async () => {
    expect(await (await fetch(`${svc.base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${svc.base}/readyz`)).json()).toMatchObject({ ready: true, browser: true, disk: { low: false } });
  });

  it('serves Prometheus metrics: render latency, pages, queue depth, restarts, rejections', async () => {
    await render(samples[0]);
    const text = await (await fetch(`${svc.base}/metrics`)).text();
    for (const name of [
      'shikaku_render_duration_seconds_bucket',
      'shikaku_pages_rendered_total{layout="kokuho-card"}',
      'shikaku_queue_depth',
      'shikaku_browser_restarts_total',
      'shikaku_rejections_total',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe('auth', () => {
  it('refuses /v1 without the right key, as problem+json', async () => {
    expect((await fetch(`${svc.base}/v1/layouts`)).status).toBe(401);
    const wrong = await fetch(`${svc.base}/v1/layouts`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses to listen on another address than loopback without API keys', async () => {
    await expect(startServer({ port: 0, host: '0.0.0.0', apiKeys: [], dataDir: dir })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without API keys/,
    );
  });
});

describe('synchronous render', () => {
  it('lists the seven documents and the four carriers', async () => {
    const layouts = (await (await fetch(`${svc.base}/v1/layouts`, { headers: AUTH })).json()) as {
      id: string;
      required: string[];
      document: string;
    }[];
    expect(
      layouts
        .filter((l) => l.document !== 'mailer')
        .map((l) => l.id)
        .sort(),
    ).toEqual(['kenpo-card', 'kenpo-notice', 'kenpo-notice-card', 'kokuho-card', 'kokuho-notice', 'kouki-card', 'kouki-notice']);
    expect(
      layouts
        .filter((l) => l.document === 'mailer')
        .map((l) => l.id)
        .sort(),
    ).toEqual(['kenpo-employer-mailer', 'kenpo-mailer', 'kokuho-mailer', 'kouki-mailer']);
    expect(layouts.find((l) => l.id === 'kokuho-card')?.required).toContain('householderName');
  });

  it('renders a card to PDF, and a page of it to PNG', async () => {
    const pdf = await render(samples[0]);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const png = await fetch(`${svc.base}/v1/render/kokuho-card?page=2`, {
      method: 'POST',
      headers: { ...json, accept: 'image/png' },
      body: JSON.stringify(samples[0]),
    });
    expect(png.status).toBe(200);
    const bytes = Buffer.from(await png.arrayBuffer());
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1011, 638]);
    const k = await fetch(`${svc.base}/v1/render/kokuho-card?page=1&png=k`, {
      method: 'POST',
      headers: { ...json, accept: 'image/png' },
      body: JSON.stringify(samples[0]),
    });
    expect(k.status).toBe(200);
    expect(Buffer.from(await k.arrayBuffer()).equals(bytes)).toBe(false);
    const wrong = await fetch(`${svc.base}/v1/render/kokuho-card?page=1&png=cmyk`, {
      method: 'POST',
      headers: { ...json, accept: 'image/png' },
      body: JSON.stringify(samples[0]),
    });
    expect(wrong.status).toBe(400);
  });

  it('answers bad records with 422 problem+json listing record, path and message', async () => {
    const res = await render([samples[0], { ...samples[1], branch: 'x' }]);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { errors: unknown[] };
    expect(body.errors).toEqual([{ record: 2, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' }]);
  });

  it('answers 400 for malformed JSON, 404 for an unknown layout or route, 413 for a body over the limit', async () => {
    expect((await fetch(`${svc.base}/v1/render/kokuho-card`, { method: 'POST', headers: json, body: '{"name":' })).status).toBe(400);
    expect((await fetch(`${svc.base}/v1/render/nope`, { method: 'POST', headers: json, body: '{}' })).status).toBe(404);
    expect((await fetch(`${svc.base}/v1/nothing`, { headers: AUTH })).status).toBe(404);
    const huge = JSON.stringify({ remarks: 'x'.repeat(3 * 1024 * 1024) });
    expect((await fetch(`${svc.base}/v1/render/kokuho-card`, { method: 'POST', headers: json, body: huge })).status).toBe(413);
  });

  it('prints markup in a name as text and never lets the browser connect anywhere', async () => {
    let connections = 0;
    const listener: Server = createServer((_req, res) => res.end('x'));
    listener.on('connection', () => connections++);
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    const port = (listener.address() as AddressInfo).port;
    try {
      const name = `<img src="http://127.0.0.1:${port}/x.png">山田`;
      const remarks = `<link rel="stylesheet" href="http://127.0.0.1:${port}/a.css"><script src="http://127.0.0.1:${port}/a.js"></script>`;
      const res = await render({ ...samples[0], name, remarks });
      expect(res.status).toBe(200);
      const pdf = join(dir, 'markup.pdf');
      writeFileSync(pdf, Buffer.from(await res.arrayBuffer()));
      expect(pageText(pdf, 1).replace(/\s+/g, '')).toContain(`<imgsrc="http://127.0.0.1:${port}/x.png">山田`);
      await new Promise((r) => setTimeout(r, 300));
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });
});

describe('batch jobs', () => {
  it('accepts a JSON array with 202, reports progress, and gives the result and a manifest of every record', async () => {
    const records = [samples[0], { ...samples[1], birthDate: '1954-02-30' }, samples[2]];
    const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, { method: 'POST', headers: json, body: JSON.stringify(records) });
    expect(res.status).toBe(202);
    const { id, url } = (await res.json()) as { id: string; url: string };
    expect(res.headers.get('location')).toBe(url);
    const job = await waitForJob(svc.base, id);
    expect(job.state).toBe('done');
    expect(job.progress).toEqual({ done: 2, total: 3, rejected: 1 });
    expect(job.rejections).toEqual([
      {
        record: 2,
        path: 'birthDate',
        message: '生年月日: expected a calendar date YYYY-MM-DD, 1873-01-01 or later, received "1954-02-30"',
      },
    ]);
    const pdf = join(dir, 'job.pdf');
    writeFileSync(pdf, Buffer.from(await (await fetch(`${svc.base}${url}/result`, { headers: AUTH })).arrayBuffer()));
    expect(pageCount(pdf)).toBe(4);
    const manifest = (await (await fetch(`${svc.base}${url}/manifest`, { headers: AUTH })).json()) as { records: unknown[] };
    // Each printed record with its key (保険者番号-記号-番号-枝番: no ref was given), by which the proof diff
    // and an integrator find it again.
    expect(manifest.records).toEqual([
      { record: 1, key: '320036-出雲12-0034567-01', pages: [1, 2] },
      {
        record: 2,
        rejected: [
          { path: 'birthDate', message: '生年月日: expected a calendar date YYYY-MM-DD, 1873-01-01 or later, received "1954-02-30"' },
        ],
      },
      { record: 3, key: '320036-出雲7-0101010-00', pages: [3, 4] },
    ]);
  });

  it('accepts NDJSON and Shift_JIS CSV bodies', async () => {
    const ndjson = samples.map((s) => JSON.stringify(s)).join('\n');
    const a = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
      body: ndjson,
    });
    expect(a.status).toBe(202);
    const csv = readFileSync(new URL('./fixtures/records-sjis.csv', import.meta.url));
    const b = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'text/csv; charset=Shift_JIS' },
      body: csv,
    });
    expect(b.status).toBe(202);
    const jb = await waitForJob(svc.base, ((await b.json()) as { id: string }).id);
    expect(jb.progress).toEqual({ done: 2, total: 2, rejected: 0 });
    expect((await waitForJob(svc.base, ((await a.json()) as { id: string }).id)).progress.done).toBe(3);
  });

  it('answers 404 for an unknown job or layout, 415 for another body type, 422 for an empty batch', async () => {
    expect((await fetch(`${svc.base}/v1/jobs/0123456789abcdef01234567`, { headers: AUTH })).status).toBe(404);
    expect((await fetch(`${svc.base}/v1/jobs/../../etc`, { headers: AUTH })).status).toBe(404);
    expect((await fetch(`${svc.base}/v1/jobs?layout=nope`, { method: 'POST', headers: json, body: '[]' })).status).toBe(404);
    expect(
      (
        await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/xml' },
          body: '<a/>',
        })
      ).status,
    ).toBe(415);
    expect((await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, { method: 'POST', headers: json, body: '[]' })).status).toBe(422);
  });
});

describe('the log', () => {
  it("holds request ids and durations but never a record's name, address or number", async () => {
    const secret = {
      ...samples[0],
      name: '秘密 花子',
      householderName: '秘密 太郎',
      address: '秘密県秘密市1番地',
      number: '9876543',
      symbol: '秘密記号',
    };
    await render(secret);
    await render({ ...secret, branch: 'zz' });
    const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify([secret, { ...secret, birthDate: 'x' }]),
    });
    await waitForJob(svc.base, ((await res.json()) as { id: string }).id);
    const log = svc.logLines.join('');
    expect(log).toMatch(/"reqId":"[0-9a-f-]{36}"/);
    expect(log).toMatch(/"ms":[\d.]+/);
    for (const value of ['秘密', '9876543', '花子', '"zz"']) expect(log).not.toContain(value);
  });
});
