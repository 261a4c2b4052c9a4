// The HTTP edge's one table from error codes to answers (server/problem.ts): every code gets its status,
// a problem+json body, the Retry-After policy, and a safe message where the real one is the operator's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrintError, type PrintErrorCode } from '../engine/index.ts';
import { sendError } from '../server/problem.ts';

const STATUS: Record<PrintErrorCode, number> = {
  INVALID_INPUT: 422,
  UNKNOWN_LAYOUT: 404,
  SETUP: 503,
  RENDER: 503,
  CANCELLED: 503,
  BAD_REQUEST: 400,
  UNSUPPORTED_BODY: 415,
  REFUSED: 422,
  TOO_LARGE: 413,
  NOT_FOUND: 404,
  NOT_FINISHED: 409,
  GONE: 410,
  BAD_RANGE: 416,
  UNAUTHORIZED: 401,
  BUSY: 429,
  TIMED_OUT: 503,
  UNAVAILABLE: 503,
  DISK_FULL: 507,
};

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.get('/fail/:code', (req, res) => {
    const code = String(req.params.code) as PrintErrorCode;
    const retry = req.query.retry === undefined ? {} : { retryAfterS: Number(req.query.retry) };
    const problems = [{ record: 3, recordLabel: 'record 3', path: 'name', label: '氏名', message: 'required' }];
    sendError(res, new PrintError(code, `internal detail of ${code}: /var/lib/x`, { problems, problemCount: 7, ...retry }), 5);
  });
  app.get('/crash', (_req, res) => void sendError(res, new TypeError('cannot read properties of undefined (reading "山田")')));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

describe('the error table', () => {
  it('answers every code with its status as problem+json, its problems listed and counted', async () => {
    for (const [code, status] of Object.entries(STATUS)) {
      const res = await fetch(`${base}/fail/${code}`);
      expect(res.status, code).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      const body = (await res.json()) as { status: number; title: string; detail: string; errors: unknown[]; errorCount: number };
      expect(body.status).toBe(status);
      expect(body.title).toBeTruthy();
      expect(body.errors).toEqual([{ record: 3, path: 'name', message: '氏名: required' }]);
      expect(body.errorCount).toBe(7);
    }
  });

  it('says when to come back: every 503 in 5 s, a full disk in 60 s, a full queue in its own time', async () => {
    for (const code of ['SETUP', 'RENDER', 'CANCELLED', 'TIMED_OUT', 'UNAVAILABLE'])
      expect((await fetch(`${base}/fail/${code}`)).headers.get('retry-after'), code).toBe('5');
    expect((await fetch(`${base}/fail/DISK_FULL`)).headers.get('retry-after')).toBe('60');
    expect((await fetch(`${base}/fail/BUSY?retry=3`)).headers.get('retry-after')).toBe('3');
    expect((await fetch(`${base}/fail/INVALID_INPUT`)).headers.get('retry-after')).toBeNull();
  });

  it("keeps the operator's messages from clients: setup, render and unexpected failures answer a safe one", async () => {
    for (const code of ['SETUP', 'RENDER']) {
      const { detail } = (await (await fetch(`${base}/fail/${code}`)).json()) as { detail: string };
      expect(detail).not.toContain('/var/lib/x');
      expect(detail).toMatch(/retry shortly/);
    }
    expect(((await (await fetch(`${base}/fail/REFUSED`)).json()) as { detail: string }).detail).toContain('internal detail of REFUSED');
    const crash = await fetch(`${base}/crash`);
    expect(crash.status).toBe(500);
    expect(await crash.text()).not.toContain('山田');
  });
});
