// The service under hostile and careless input: bounded work per request, bounded answers, records
// rejected one by one whatever the body's format, and jobs that only their own key can see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../server/index.ts';
import { AUTH, startTestService, waitForJob, type TestService } from './helpers/service.ts';

const samples = JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>[];
const json = { ...AUTH, 'content-type': 'application/json' };
const empties = (n: number) => `[${Array.from({ length: n }, () => '{}').join(',')}]`;
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ apiKeys: ['test-key', 'alice:alice-key', 'bob:bob-key'] });
});
afterAll(async () => svc?.close());

type Problem = { status: number; errors: { record: number; path: string; message: string }[]; errorCount: number; detail: string };
const render = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${svc.base}/v1/render/kokuho-card`, { method: 'POST', headers: { ...json, ...headers }, body });
const postJob = (body: string, type = 'application/json', key = 'test-key') =>
  fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': type },
    body,
  });

describe('bounded work per synchronous render', () => {
  it('refuses 650,000 empty records (1.95 MB) at once with a small 413, and keeps answering', async () => {
    const body = empties(650_000);
    expect(body.length).toBeGreaterThan(1_900_000);
    const res = await render(body);
    const text = await res.text();
    expect(res.status).toBe(413);
    expect(text.length).toBeLessThan(2000);
    expect((JSON.parse(text) as Problem).detail).toContain(`at most ${DEFAULT_LIMITS.syncRecords} records`);
    expect((await fetch(`${svc.base}/healthz`)).status).toBe(200);
  });

  it(`takes ${DEFAULT_LIMITS.syncRecords} records (the limit) and refuses one more`, async () => {
    const atLimit = await render(empties(DEFAULT_LIMITS.syncRecords));
    expect(atLimit.status).toBe(422); // read and validated: every one lacks its fields
    const past = await render(empties(DEFAULT_LIMITS.syncRecords + 1));
    expect(past.status).toBe(413);
  });

  it(`lists at most ${DEFAULT_LIMITS.problems} problems, with the total beside them`, async () => {
    const one = (await (await render('[{}]')).json()) as Problem;
    expect(one.errors.length).toBe(one.errorCount);
    expect(one.errorCount).toBeGreaterThan(5);
    const many = (await (await render(empties(DEFAULT_LIMITS.syncRecords))).json()) as Problem;
    expect(many.errors).toHaveLength(DEFAULT_LIMITS.problems);
    expect(many.errorCount).toBe(one.errorCount * DEFAULT_LIMITS.syncRecords);
    expect(many.errors[0]).toMatchObject({ record: 1 });
  });

  it('answers a deeply nested body with 422 naming the record, or 400 for a lone object, never 500', async () => {
    const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    const res = await render(deep);
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors[0]).toMatchObject({
      record: 1,
      path: '(record)',
      message: expect.stringContaining('nests deeper than 8 levels'),
    });
    const lone = await render(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(lone.status).toBe(400);
    expect(((await lone.json()) as Problem).detail).toContain('nests deeper than 8 levels');
  });

  it(`reads a body of ${DEFAULT_LIMITS.syncBodyBytes} bytes (the limit) and refuses one byte more`, async () => {
    // Three records of about 700 KB each (one record may not pass 1,000,000 characters).
    const record = (chars: number) => `{"remarks":"${'x'.repeat(chars - '{"remarks":""}'.length)}"}`;
    const sized = (bytes: number) => {
      const each = Math.floor((bytes - 4) / 3);
      return `[${record(each)},${record(each)},${record(bytes - 4 - 2 * each)}]`;
    };
    expect(sized(DEFAULT_LIMITS.syncBodyBytes)).toHaveLength(DEFAULT_LIMITS.syncBodyBytes);
    expect((await render(sized(DEFAULT_LIMITS.syncBodyBytes))).status).toBe(422); // read whole, then found wanting
    expect((await render(sized(DEFAULT_LIMITS.syncBodyBytes + 1))).status).toBe(413);
  });

  it('answers a CSV body to the synchronous render with 415, as jobs answer an unknown type', async () => {
    expect((await render('name\n山田\n', { 'content-type': 'text/csv' })).status).toBe(415);
  });
});

describe('bounded jobs', () => {
  it('refuses a job of 100,000 empty records with a small 422, keeping nothing', async () => {
    const res = await postJob(empties(100_000));
    const text = await res.text();
    expect(res.status).toBe(422);
    expect(text.length).toBeLessThan(40_000);
    const problem = JSON.parse(text) as Problem;
    expect(problem.errors).toHaveLength(DEFAULT_LIMITS.problems);
    expect(problem.detail).toContain(`more than ${DEFAULT_LIMITS.jobRejectedRecords} of the first`);
    expect(readdirSync(join(svc.dataDir, 'incoming'))).toEqual([]);
  });

  it(`keeps a job with ${DEFAULT_LIMITS.jobRejectedRecords} rejected records (the limit) small: job.json and status stay light`, async () => {
    const body = `[${JSON.stringify(samples[0])},${empties(DEFAULT_LIMITS.jobRejectedRecords).slice(1)}`;
    const res = await postJob(body);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await waitForJob(svc.base, id);
    expect(job.state).toBe('done');
    expect(job.progress).toEqual({ done: 1, total: DEFAULT_LIMITS.jobRejectedRecords + 1, rejected: DEFAULT_LIMITS.jobRejectedRecords });
    expect(job.rejections).toHaveLength(DEFAULT_LIMITS.problems);
    expect(statSync(join(svc.dataDir, 'jobs', id, 'job.json')).size).toBeLessThan(30_000);
    const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as {
      records: { record: number; pages?: number[]; rejected?: unknown[] }[];
    };
    expect(manifest.records).toHaveLength(DEFAULT_LIMITS.jobRejectedRecords + 1);
    expect(manifest.records[0]).toEqual({ record: 1, key: '320036-出雲12-0034567-01', pages: [1, 2] });
    expect(manifest.records[DEFAULT_LIMITS.jobRejectedRecords]!.rejected!.length).toBeGreaterThan(5);
    const past = await postJob(`[${JSON.stringify(samples[0])},${empties(DEFAULT_LIMITS.jobRejectedRecords + 1).slice(1)}`);
    expect(past.status).toBe(422);
  });
});

describe('the job body limit', () => {
  it('takes a body of exactly the limit and refuses one byte more, whether its length is announced or streamed', async () => {
    const body = `${JSON.stringify(samples[0])}\n`;
    const limits = { ...DEFAULT_LIMITS, jobBodyBytes: Buffer.byteLength(body) };
    // No browser needed: a job is taken in before anything prints.
    const small = await startTestService({ apiKeys: ['test-key'], limits, engine: { chromePath: '/nonexistent' } }, false);
    try {
      const post = (b: string | ReadableStream<Uint8Array>) =>
        fetch(`${small.base}/v1/jobs?layout=kokuho-card`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
          body: b,
          duplex: 'half',
        } as RequestInit);
      const streamed = (b: string) => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode(b)), c.close()) });
      expect((await post(body)).status).toBe(202);
      expect((await post(`${body} `)).status).toBe(413);
      expect((await post(streamed(body))).status).toBe(202);
      const past = await post(streamed(`${body} `));
      expect(past.status).toBe(413);
      expect(((await past.json()) as Problem).detail).toContain(`job limit of ${limits.jobBodyBytes} bytes`);
      expect(readdirSync(join(small.dataDir, 'incoming'))).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('records rejected one by one, whatever the format', () => {
  it('prints the good lines of an NDJSON job and rejects the broken one, naming its record and line', async () => {
    const lines = samples.map((s) => JSON.stringify(s));
    lines.splice(1, 0, '{"name": "山田"');
    const res = await postJob(`${lines.join('\n')}\n`, 'application/x-ndjson');
    expect(res.status).toBe(202);
    const job = await waitForJob(svc.base, ((await res.json()) as { id: string }).id);
    expect(job.state).toBe('done');
    expect(job.progress).toEqual({ done: samples.length, total: samples.length + 1, rejected: 1 });
    expect(job.rejections).toEqual([
      { record: 2, path: '(record)', message: expect.stringMatching(/^\(record\): line 2 is not valid JSON/) },
    ]);
  });

  it('prints the good rows of a CSV job and rejects a row with a missing cell, naming its line', async () => {
    const fields = [...new Set(samples.flatMap((r) => Object.keys(r)))];
    const cell = (v: unknown) => (v === undefined ? '' : `"${(typeof v === 'string' ? v : JSON.stringify(v)).replaceAll('"', '""')}"`);
    const row = (r: Record<string, unknown>) => fields.map((f) => cell(r[f]));
    const csv = [fields.join(','), row(samples[0]!).join(','), row(samples[1]!).slice(0, -1).join(','), row(samples[2]!).join(',')].join(
      '\n',
    );
    const res = await postJob(`${csv}\n`, 'text/csv');
    expect(res.status).toBe(202);
    const job = await waitForJob(svc.base, ((await res.json()) as { id: string }).id);
    expect(job.state).toBe('done');
    expect(job.progress).toEqual({ done: 2, total: 3, rejected: 1 });
    expect(job.rejections).toEqual([
      { record: 2, path: '(record)', message: `(record): line 3 has ${fields.length - 1} cells, the header has ${fields.length}` },
    ]);
  });
});

describe('jobs owned by their key', () => {
  it('shows a job, its result and its manifest to the key that made it, and 404 to any other', async () => {
    const res = await postJob(JSON.stringify(samples.slice(0, 1)), 'application/json', 'alice-key');
    const { id } = (await res.json()) as { id: string };
    const as = (key: string, path = '') => fetch(`${svc.base}/v1/jobs/${id}${path}`, { headers: { authorization: `Bearer ${key}` } });
    for (;;) {
      const j = (await (await as('alice-key')).json()) as { state: string };
      if (j.state === 'done') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const path of ['', '/result', '/manifest']) {
      expect((await as('alice-key', path)).status).toBe(200);
      expect((await as('bob-key', path)).status).toBe(404);
      expect((await as('test-key', path)).status).toBe(404);
    }
  });

  it('keeps the data folder 0700 and every job file 0600', async () => {
    const res = await postJob(JSON.stringify(samples.slice(0, 1)));
    const { id } = (await res.json()) as { id: string };
    await waitForJob(svc.base, id);
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(svc.dataDir)).toBe(0o700);
    expect(mode(join(svc.dataDir, 'jobs'))).toBe(0o700);
    const dir = join(svc.dataDir, 'jobs', id);
    expect(mode(dir)).toBe(0o700);
    // A job's work folders (chunks/, input/) may still be there for a moment after it is answered done:
    // they are removed just after; while they exist they are private too.
    for (const f of readdirSync(dir)) {
      const path = join(dir, f);
      expect([f, mode(path)]).toEqual([f, statSync(path).isDirectory() ? 0o700 : 0o600]);
    }
  });
});
