import type { Response } from 'express';
import { PrintError } from '../engine/index.ts';
import { QueueFullError, RenderTimeoutError } from './render-queue.ts';
import { IntakeError } from './jobs/intake.ts';
import { DiskFullError } from './jobs/disk-space.ts';

/** One problem of one record, as answered: `{record, path, message}` (interfaces.md). */
export interface ProblemEntry {
  record: number;
  path: string;
  message: string;
}

/**
 * The one Retry-After policy: how long a client waits before it tries again, by why it was refused. A full
 * queue says how long its waiting renders will take (RenderQueue); the rest are fixed.
 */
export const RETRY_AFTER_S = {
  /** Not ready (no browser yet), stopping, a render that failed or timed out: a restart takes seconds. */
  unavailable: 5,
  /** No room in the data folder: an operator has to act. */
  diskFull: 60,
} as const;

/**
 * An RFC 9457 problem answer with the contract's `errors` list of {record, path, message}. The list holds
 * at most `max` entries (a hostile body must not make a huge answer); `errorCount` always says how many
 * problems there are in all.
 */
export function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  errors: readonly ProblemEntry[] = [],
  options: { max?: number; total?: number } = {},
): void {
  const shown = errors.slice(0, options.max ?? errors.length);
  const body = { type: 'about:blank', title, status, detail, errors: shown, errorCount: options.total ?? errors.length };
  // Every 503 says when to come back (RETRY_AFTER_S), whichever path answered it.
  if (status === 503 && !res.hasHeader('Retry-After')) res.set('Retry-After', String(RETRY_AFTER_S.unavailable));
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * Maps an error to its HTTP answer: the only place errors become statuses. Answers the status, so the
 * caller can log and count it. Engine codes: INVALID_INPUT 422, UNKNOWN_LAYOUT 404, SETUP/RENDER/CANCELLED
 * 503; a body refused whole 413 or 422; a full disk 507; a full queue 429; a render past its limit 503.
 */
export function sendError(res: Response, err: unknown, maxProblems: number): number {
  if (err instanceof QueueFullError) {
    res.set('Retry-After', String(err.retryAfterSeconds));
    sendProblem(res, 429, 'Too many requests', 'the render queue is full; retry after the time in Retry-After');
    return 429;
  }
  if (err instanceof RenderTimeoutError) {
    sendProblem(res, 503, 'Render timed out', err.message);
    return 503;
  }
  if (err instanceof IntakeError) {
    const title = { 400: 'Malformed body', 413: 'Body too large', 422: 'Invalid records', 503: 'Stopping' }[err.status];
    sendProblem(res, err.status, title, err.message, err.problems, { max: maxProblems, total: err.problemCount || err.problems.length });
    return err.status;
  }
  if (err instanceof DiskFullError) {
    res.set('Retry-After', String(RETRY_AFTER_S.diskFull));
    sendProblem(res, 507, 'Insufficient storage', `${err.message}: the job was not kept; retry once the operator has made room`);
    return 507;
  }
  if (err instanceof PrintError) {
    const status = { INVALID_INPUT: 422, UNKNOWN_LAYOUT: 404, SETUP: 503, RENDER: 503, CANCELLED: 503 }[err.code];
    const errors = err.problems.map((p) => ({ record: p.record, path: p.path, message: `${p.label}: ${p.message}` }));
    // Setup and render failures are the operator's business: the client learns only that it may retry.
    const detail =
      err.code === 'SETUP' || err.code === 'RENDER'
        ? 'the print engine failed; retry shortly (the cause is in the service log)'
        : err.message;
    sendProblem(res, status, err.code === 'INVALID_INPUT' ? 'Invalid records' : err.code, detail, errors, { max: maxProblems });
    return status;
  }
  sendProblem(res, 500, 'Internal error', 'the request failed; see the service log');
  return 500;
}
