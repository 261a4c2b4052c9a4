import type { Response } from 'express';
import { PrintError } from '../engine/index.ts';
import { httpStatus } from '../server/problem.ts';
import { LayoutBroken, type Proof } from './proofs.ts';

/** A request the studio cannot answer as asked (BAD_REQUEST). */
export const badRequest = (message: string): PrintError => new PrintError('BAD_REQUEST', message);

/** Runs a route; its errors become problem+json answers naming what is wrong (sendFailure). */
export async function answer(res: Response, work: () => Promise<void> | void): Promise<void> {
  try {
    await work();
  } catch (err) {
    sendFailure(res, err);
  }
}

/**
 * Answers an error with the status the service gives its code (server/problem.ts, the one table), so a
 * client sees the same status from both. The body is the studio's own: its client is the designer at this
 * machine, so the real message is shown (the title says what is wrong), and an invalid record lists each
 * field with its label. A layout that does not compile is the designer's input that is invalid
 * (INVALID_INPUT), with its problems by file, line and column; anything not a PrintError is a 500.
 */
function sendFailure(res: Response, err: unknown): void {
  if (err instanceof LayoutBroken) {
    sendProblem(res, httpStatus('INVALID_INPUT'), 'the layout does not compile', { problems: err.problems });
  } else if (!(err instanceof PrintError)) {
    sendProblem(res, 500, `the render failed: ${(err as Error).message}`);
  } else if (err.code === 'INVALID_INPUT') {
    const errors = err.problems.map((p) => ({ path: p.path, label: p.label, message: p.message }));
    sendProblem(res, httpStatus(err.code), 'the record is invalid', { detail: err.message, errors });
  } else {
    const status = httpStatus(err.code);
    sendProblem(res, status, status >= 500 ? `the render failed: ${err.message}` : err.message);
  }
}

/** An RFC 9457 problem answer whose title says what is wrong. */
function sendProblem(res: Response, status: number, title: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, ...extra }));
}

/** A page as a PNG, with its render time and page count in headers. */
export function sendPng(res: Response, made: Proof): void {
  res
    .type('image/png')
    .set({ 'X-Render-Ms': String(made.ms), 'X-Page-Count': String(made.pageCount), 'Cache-Control': 'no-store' })
    .send(made.png);
}
