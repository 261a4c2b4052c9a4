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
    // The same body with no Content-Length is checked before the answer: the 422 a small body gets.
    const refused = await post(chunked(body));
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { detail: string; errors: Status['rejections']; errorCount: number };
    expect(problem.errors.length).toBeGreaterThan(0);

    const res = await post(body);
    expect(res.status).toBe(202);
    const { id, state } = (await res.json()) as { id: string; state: string };
    expect(state).toBe('validating');
    const { last } = await follow(id);
    expect(last.state).toBe('failed');
    expect(last.error).toBe(problem.detail);
    expect(last.error).toContain('none of the 200 records is valid');
    expect(last.rejections).toEqual(problem.errors);
    expect(last.rejections[0]).toEqual({ record: 1, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' });
    expect(last.rejectionCount).toBe(problem.errorCount);
  });
});

describe('a small job body', () => {
  it('that is invalid still gets its 422 at once', async () => {
    const body = JSON.stringify(kokuhoRecords(2).map((r) => ({ ...r, branch: 'x' })));
    expect(body.length).toBeLessThan(RECEIPT_BYTES);
    const res = await post(body);
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: Status['rejections'] };
    expect(problem.errors[0]).toEqual({ record: 1, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' });
  });
});
