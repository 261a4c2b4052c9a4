import type { Response } from 'express';
import { PrintError } from '../engine/index.ts';
import { LayoutBroken, type Proof } from './proofs.ts';

/** A request the studio cannot answer as asked (BAD_REQUEST: 400). */
export const badRequest = (message: string): PrintError => new PrintError('BAD_REQUEST', message);

/** Runs a route; its errors become problem+json answers naming what is wrong. */
export async function answer(res: Response, work: () => Promise<void> | void): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof LayoutBroken) {
      sendProblem(res, 422, 'the layout does not compile', { problems: err.problems });
    } else if (err instanceof PrintError && err.code === 'BAD_REQUEST') {
      sendProblem(res, 400, err.message);
    } else if (err instanceof PrintError && err.code === 'INVALID_INPUT') {
      const errors = err.problems.map((p) => ({ path: p.path, label: p.label, message: p.message }));
      sendProblem(res, 400, 'the record is invalid', { detail: err.message, errors });
    } else if (err instanceof PrintError && err.code === 'UNKNOWN_LAYOUT') {
      sendProblem(res, 404, err.message);
    } else {
      sendProblem(res, 500, `the render failed: ${(err as Error).message}`);
    }
  }
}

/** An RFC 9457 problem answer whose title says what is wrong. */
export function sendProblem(res: Response, status: number, title: string, extra: Record<string, unknown> = {}): void {
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
