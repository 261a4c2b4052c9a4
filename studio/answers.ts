import type { NextFunction, Request, Response } from 'express';
import { PrintError } from '../engine/index.ts';
import { httpStatus } from '../server/problem.ts';
import { LayoutBroken, type Proof } from './proofs.ts';
import type { ShownPaths } from './shown-paths.ts';

/** A request the studio cannot answer as asked (BAD_REQUEST). */
export const badRequest = (message: string): PrintError => new PrintError('BAD_REQUEST', message);

/** How the studio answers what went wrong: always problem+json, never an absolute path. */
export interface StudioAnswers {
  /** Runs a route; its errors become problem+json answers naming what is wrong (sendFailure). */
  answer: (res: Response, work: () => Promise<void> | void) => Promise<void>;
  /** An RFC 9457 problem answer whose title says what is wrong. */
  problem: (res: Response, status: number, title: string, extra?: Record<string, unknown>) => void;
  /** The last handler of the app: an error no route caught (a body that does not parse, a bad URL). */
  unhandled: (err: unknown, req: Request, res: Response, next: NextFunction) => void;
  /** After every route: what the studio does not have. */
  notFound: (req: Request, res: Response) => void;
}

/** The studio's answers, its paths shown as `paths` shows them. */
export function studioAnswers(paths: ShownPaths): StudioAnswers {
  const problem: StudioAnswers['problem'] = (res, status, title, extra = {}) => {
    const body = paths.deep({ type: 'about:blank', title, status, ...extra });
    res.status(status).type('application/problem+json').send(JSON.stringify(body));
  };
  return {
    problem,
    answer: async (res, work) => {
      try {
        await work();
      } catch (err) {
        sendFailure(problem, res, err);
      }
    },
    unhandled: (err, _req, res, next) => {
      if (res.headersSent) return next(err);
      // body-parser's and serve-static's errors carry their status and a message without paths (their
      // stack has them: express's own answer would show it as HTML)
      const { status, type, message } = err as { status?: unknown; type?: unknown; message?: unknown };
      if (typeof status === 'number' && status >= 400 && status < 500) {
        const what =
          type === 'entity.parse.failed'
            ? `the body is not JSON: ${String(message)}`
            : type === 'entity.too.large'
              ? 'the body is too large'
              : typeof message === 'string'
                ? message
                : 'the request cannot be read';
        problem(res, status, what);
      } else sendFailure(problem, res, err);
    },
    notFound: (req, res) => {
      problem(res, 404, `the studio has no ${req.method} ${req.path}`);
    },
  };
}

/**
 * Answers an error with the status the service gives its code (server/problem.ts, the one table), so a
 * client sees the same status from both. The body is the studio's own: its client is the designer at this
 * machine, so the real message is shown (the title says what is wrong), and an invalid record lists each
 * field with its label. A layout that does not compile is the designer's input that is invalid
 * (INVALID_INPUT), with its problems by file, line and column; anything not a PrintError is a 500.
 */
function sendFailure(problem: StudioAnswers['problem'], res: Response, err: unknown): void {
  if (err instanceof LayoutBroken) {
    problem(res, httpStatus('INVALID_INPUT'), 'the layout does not compile', { problems: err.problems });
  } else if (!(err instanceof PrintError)) {
    problem(res, 500, `the render failed: ${(err as Error).message}`);
  } else if (err.code === 'INVALID_INPUT') {
    const errors = err.problems.map((p) => ({ path: p.path, label: p.label, message: p.message }));
    problem(res, httpStatus(err.code), 'the record is invalid', { detail: err.message, errors });
  } else {
    const status = httpStatus(err.code);
    problem(res, status, status >= 500 ? `the render failed: ${err.message}` : err.message);
  }
}

/** A page as a PNG, with its render time and page count in headers. */
export function sendPng(res: Response, made: Proof): void {
  res
    .type('image/png')
    .set({ 'X-Render-Ms': String(made.ms), 'X-Page-Count': String(made.pageCount), 'Cache-Control': 'no-store' })
    .send(made.png);
}
