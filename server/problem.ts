import type { Response } from 'express';
import { PrintError } from '../engine/index.ts';

/** An RFC 9457 problem answer with the contract's `errors` list of {record, path, message}. */
export function sendProblem(res: Response, status: number, title: string, detail: string, errors: { record: number; path: string; message: string }[] = []): void {
  res.status(status).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title, status, detail, errors }));
}

/** Maps an engine error to its HTTP status: the only place codes become statuses. */
export function sendError(res: Response, err: unknown): void {
  if (err instanceof PrintError) {
    const status = { INVALID_INPUT: 422, UNKNOWN_LAYOUT: 404, SETUP: 503, RENDER: 503, CANCELLED: 503 }[err.code];
    const errors = err.problems.map((p) => ({ record: p.record, path: p.path, message: `${p.label}: ${p.message}` }));
    sendProblem(res, status, err.code === 'INVALID_INPUT' ? 'Invalid records' : err.code, err.message, errors);
    return;
  }
  sendProblem(res, 500, 'Internal error', 'the render failed; see the service log');
}
