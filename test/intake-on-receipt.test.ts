// Issue 29: a job body over SHIKAKU_ACCEPT_ON_RECEIPT_KB is answered 202 once received and checked
// afterwards (state `validating`, then queued, printing, done), with the same refusals as today: an
// invalid large body ends as a failed job carrying what its 422 would have said. Small bodies keep their 422.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../server/index.ts';
import { AUTH, JSON_AUTH, kokuhoRecords, startTestService, type TestService } from './helpers/service.ts';

/** Bodies announced over this are answered on receipt (the default is 16 MiB). */
const RECEIPT_BYTES = 32 * 1024;

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ limits: { ...DEFAULT_LIMITS, receiptBodyBytes: RECEIPT_BYTES } });
});
afterAll(async () => svc?.close());

interface Status {
  state: string;
  progress: { done: number; total: number; rejected: number };
  rejections: { record: number; path: string; message: string }[];
  rejectionCount: number;
  error?: string;
}

const post = (body: string | ReadableStream<Uint8Array>) =>
  fetch(`${svc.base}/v1/jobs?layout=kokuho-card`, {
    method: 'POST',
    headers: JSON_AUTH,
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  });

const status = async (id: string) => (await (await fetch(`${svc.base}/v1/jobs/${id}`, { headers: AUTH })).json()) as Status;

/** Polls a job until it ends; answers its last status and every state it was seen in, in order. */
async function follow(id: string): Promise<{ last: Status; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; ; i++) {
    const s = await status(id);
    if (seen.at(-1) !== s.state) seen.push(s.state);
    if (s.state === 'done' || s.state === 'failed') return { last: s, seen };
    if (i > 1200) throw new Error(`job ${id} still ${s.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `text` as a stream, so that fetch sends it chunked, with no Content-Length. */
const chunked = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });

describe('a large job body', () => {
  it('is answered 202 before its records are checked, then goes validating → queued/running → done', async () => {
    const body = JSON.stringify(kokuhoRecords(300));
    expect(body.length).toBeGreaterThan(RECEIPT_BYTES);
    const res = await post(body);
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; state: string; records: number };
    expect(accepted.state).toBe('validating');
    const { last, seen } = await follow(accepted.id);
    expect(last.state).toBe('done');
    expect(last.progress).toEqual({ done: 300, total: 300, rejected: 0 });
    const order = ['validating', 'queued', 'running', 'done'];
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(seen.every((s) => order.includes(s))).toBe(true);
    expect(svc.logLines.some((l) => l.includes('"msg":"job received: checking its records"'))).toBe(true);
  });

  it('that is invalid ends failed with the problem list its 422 would have carried', async () => {
    const records = kokuhoRecords(200).map((r) => ({ ...r, branch: 'x' }));
    const body = JSON.stringify(records);
    // What its 422 says: the same records in a small body (under the threshold), refused at once.
    const refused = await post(JSON.stringify(records.slice(0, 20)));
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { detail: string; errors: Status['rejections']; errorCount: number };
    expect(problem.errors.length).toBeGreaterThan(0);

    // The large body, with a Content-Length and without one (chunked: its size known only at its end).
    for (const sent of [body, chunked(body)]) {
      const res = await post(sent);
      expect(res.status).toBe(202);
      const { id, state } = (await res.json()) as { id: string; state: string };
      expect(state).toBe('validating');
      const { last } = await follow(id);
      expect(last.state).toBe('failed');
      expect(last).not.toHaveProperty('retryable'); // failed for good
      expect(last.error).toBe(problem.detail.replace('20 records', '200 records'));
      expect(last.error).toContain('none of the 200 records is valid');
      // The same problems as the small body's, for its first 20 records, then the next ones: 100 at most.
      expect(last.rejections).toHaveLength(100);
      expect(last.rejections.slice(0, problem.errors.length)).toEqual(problem.errors);
      expect(last.rejections[0]).toEqual({ record: 1, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' });
      expect(last.rejectionCount).toBe(10 * problem.errorCount);
    }
  });

  it('sent without a Content-Length is answered on receipt too, and prints', async () => {
    const body = JSON.stringify(kokuhoRecords(250));
    expect(body.length).toBeGreaterThan(RECEIPT_BYTES);
    const res = await post(chunked(body));
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; state: string; records: number };
    expect(accepted).toMatchObject({ state: 'validating', records: 0 });
    const { last } = await follow(accepted.id);
    expect(last.state).toBe('done');
    expect(last.progress).toEqual({ done: 250, total: 250, rejected: 0 });
  });
});

describe('a small job body', () => {
  it('that is invalid still gets its 422 at once, with or without a Content-Length, and leaves no job', async () => {
    const body = JSON.stringify(kokuhoRecords(2).map((r) => ({ ...r, branch: 'x' })));
    expect(body.length).toBeLessThan(RECEIPT_BYTES);
    const list = async () =>
      ((await (await fetch(`${svc.base}/v1/jobs?limit=200`, { headers: AUTH })).json()) as { jobs: unknown[] }).jobs.length;
    const before = await list();
    for (const sent of [body, chunked(body)]) {
      const res = await post(sent);
      expect(res.status).toBe(422);
      const problem = (await res.json()) as { errors: Status['rejections'] };
      expect(problem.errors[0]).toEqual({ record: 1, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' });
    }
    expect(await list()).toBe(before);
  });

  it('that is valid is checked before its answer, with or without a Content-Length: 202 queued with its count', async () => {
    const body = JSON.stringify(kokuhoRecords(3));
    for (const sent of [body, chunked(body)]) {
      const res = await post(sent);
      expect(res.status).toBe(202);
      const accepted = (await res.json()) as { id: string; state: string; records: number };
      expect(accepted.records).toBe(3);
      expect(accepted.state).not.toBe('validating');
      expect((await follow(accepted.id)).last.state).toBe('done');
    }
  });
});
