import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { StudioAnswers } from './answers.ts';

/** The two guards of the studio's requests (ownRequests). */
export interface OwnRequests {
  /** Before every route: Host names the studio; a request that writes (any method but GET and HEAD) is its page's. */
  all: RequestHandler;
  /** Before a GET that prints: as costly as a write, so it is the page's own too. */
  printing: RequestHandler;
}

/**
 * The studio answers its own page only. Any web page the designer visits can send requests to 127.0.0.1,
 * so: (1) every request must name the studio itself in Host (`127.0.0.1:PORT`, `localhost:PORT`, and
 * `[::1]:PORT` when it listens there): a page of another site that reached it through DNS rebinding names
 * its own; (2) a request that writes or prints must come from the studio's own page: an Origin, when a
 * browser sends one, of the studio's own origin, and a Sec-Fetch-Site, when sent, of `same-origin` (or
 * `none`: the designer typed the address). A program (curl, a test) sends neither and is let through.
 * Anything else is answered 403 as a problem.
 */
export function ownRequests(hosts: () => readonly string[], answers: StudioAnswers): OwnRequests {
  const refuse = (res: Response) =>
    answers.problem(res, 403, `the studio writes and prints only for its own page (http://${hosts()[0] ?? ''}/)`);
  return {
    all: (req: Request, res: Response, next: NextFunction): void => {
      const own = hosts();
      if (!own.includes((req.headers.host ?? '').toLowerCase())) {
        return answers.problem(res, 403, `the studio answers only requests addressed to it (Host ${own.join(', ')})`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) return refuse(res);
      next();
    },
    printing: (req: Request, res: Response, next: NextFunction): void => (sameOrigin(req) ? next() : refuse(res)),
  };
}

/** Whether a request comes from a page of the studio's own origin (its Host, checked before), or from no page. */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${(req.headers.host ?? '').toLowerCase()}`) return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** The Host values of a studio listening on `address`:`port` (the default port may be left out). */
export function studioHosts(address: string, port: number): string[] {
  const names = address === '::1' ? ['[::1]', 'localhost'] : address === '127.0.0.1' ? ['127.0.0.1', 'localhost'] : [address];
  return names.flatMap((n) => (port === 80 ? [`${n}:80`, n] : [`${n}:${port}`]));
}
