import type { Response } from 'express';
import { PrintError, type PrintErrorCode } from '../engine/index.ts';

/** One problem of one record, as answered: `{record, path, message}` (docs/spec/interfaces.md). */
interface ProblemEntry {
  record: number;
  path: string;
  message: string;
}

/**
 * The one Retry-After policy: how long a client waits before it tries again, by why it was refused. Every
 * 503 (not ready, stopping, a render that failed or timed out: a restart takes seconds) says 5 s; a full
 * disk 60 s (an operator has to act); a full queue says how long its waiting renders take (the error's
 * own retryAfterS, from RenderQueue).
 */
const RETRY_AFTER_S = { unavailable: 5, diskFull: 60 } as const;

/**
 * An RFC 9457 problem answer (through sendError, which sets Retry-After by the table) with the contract's `errors` list of {record, path, message}. The list holds
 * at most `max` entries (a hostile body must not make a huge answer); `errorCount` always says how many
 * problems there are in all.
 */
function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  errors: readonly ProblemEntry[] = [],
  options: { max?: number; total?: number } = {},
): void {
  const shown = errors.slice(0, options.max ?? errors.length);
  const body = { type: 'about:blank', title, status, detail, errors: shown, errorCount: options.total ?? errors.length };
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * The one table from error codes to HTTP answers: status, title, and whether the message may reach the
 * client. Messages of setup, render and unexpected failures are the operator's business (they go to the
 * log); the client learns only that it may retry.
 */
const HTTP: Record<PrintErrorCode, { status: number; title: string; safe?: string; retryAfterS?: number }> = {
  INVALID_INPUT: { status: 422, title: 'Invalid records' },
  UNKNOWN_LAYOUT: { status: 404, title: 'Unknown layout' },
  SETUP: {
    status: 503,
    title: 'Not available',
    safe: 'the print engine failed; retry shortly (the cause is in the service log)',
    retryAfterS: RETRY_AFTER_S.unavailable,
  },
  RENDER: {
    status: 503,
    title: 'Render failed',
    safe: 'the print engine failed; retry shortly (the cause is in the service log)',
    retryAfterS: RETRY_AFTER_S.unavailable,
  },
  CANCELLED: { status: 503, title: 'Cancelled', retryAfterS: RETRY_AFTER_S.unavailable },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  UNSUPPORTED_BODY: { status: 415, title: 'Unsupported body' },
  REFUSED: { status: 422, title: 'Refused' },
  TOO_LARGE: { status: 413, title: 'Too large' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  NOT_FINISHED: { status: 409, title: 'Not finished' },
  GONE: { status: 410, title: 'Gone' },
  BAD_RANGE: { status: 416, title: 'Range not satisfiable' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  BUSY: { status: 429, title: 'Too many requests', retryAfterS: 1 },
  TIMED_OUT: { status: 503, title: 'Render timed out', retryAfterS: RETRY_AFTER_S.unavailable },
  UNAVAILABLE: { status: 503, title: 'Not available', retryAfterS: RETRY_AFTER_S.unavailable },
  DISK_FULL: { status: 507, title: 'Insufficient storage', retryAfterS: RETRY_AFTER_S.diskFull },
};

/**
 * The status the table gives a code, for an HTTP edge that answers with a body of its own: the studio,
 * whose client is the designer at the same machine, shows the real message where the service keeps it safe.
 */
export function httpStatus(code: PrintErrorCode): number {
  return HTTP[code].status;
}

/**
 * Answers an error: the only place errors become statuses (HTTP). Answers the status, so the caller can
 * log and count it. Anything that is not a PrintError is a 500 with a safe message.
 */
export function sendError(res: Response, err: unknown, maxProblems = 0): number {
  if (!(err instanceof PrintError)) {
    sendProblem(res, 500, 'Internal error', 'the request failed; see the service log');
    return 500;
  }
  const { status, title, safe, retryAfterS } = HTTP[err.code];
  const retry = err.retryAfterS ?? retryAfterS;
  if (retry !== undefined) res.set('Retry-After', String(retry));
  const errors = err.problems.map((p) => ({ record: p.record, path: p.path, message: `${p.label}: ${p.message}` }));
  sendProblem(res, status, title, safe ?? err.message, errors, { max: maxProblems, total: err.problemCount });
  return status;
}
