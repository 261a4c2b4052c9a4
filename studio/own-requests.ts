import type { NextFunction, Request, Response } from 'express';
import type { StudioAnswers } from './answers.ts';

/** GET routes that print: as costly as a write, so a page of another site may not ask for them either. */
const PRINTING_READS = new Set(['/api/preview', '/api/problems']);

/**
 * The studio answers its own page only. Any web page the designer visits can send requests to 127.0.0.1,
 * so: (1) every request must name the studio itself in Host (`127.0.0.1:PORT`, `localhost:PORT`, and
 * `[::1]:PORT` when it listens there): a page of another site that reached it through DNS rebinding names
 * its own; (2) a request that writes or prints (any method but GET and HEAD, and the GETs that print) must
 * come from the studio's own page: an Origin, when a browser sends one, of the studio's own origin, and a
 * Sec-Fetch-Site, when sent, of `same-origin` (or `none`: the designer typed the address). A program
 * (curl, a test) sends neither and is let through. Anything else is answered 403 as a problem.
 */
export function ownRequestsOnly(hosts: () => readonly string[], answers: StudioAnswers) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const own = hosts();
    const host = (req.headers.host ?? '').toLowerCase();
    if (!own.includes(host)) {
      return answers.problem(res, 403, `the studio answers only requests addressed to it (Host ${own.join(', ')})`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!sameOrigin(req, host)) return refuse(res, answers, own);
    } else if (PRINTING_READS.has(req.path) && !sameOrigin(req, host)) return refuse(res, answers, own);
    next();
  };
}

/** Whether a request comes from a page of the studio's own origin, or from no page at all. */
function sameOrigin(req: Request, host: string): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return false;
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

function refuse(res: Response, answers: StudioAnswers, own: readonly string[]): void {
  answers.problem(res, 403, `the studio writes and prints only for its own page (http://${own[0] ?? ''}/)`);
}

/** The Host values of a studio listening on `address`:`port` (the default port may be left out). */
export function studioHosts(address: string, port: number): string[] {
  const names = address === '::1' ? ['[::1]', 'localhost'] : address === '127.0.0.1' ? ['127.0.0.1', 'localhost'] : [address];
  return names.flatMap((n) => (port === 80 ? [`${n}:80`, n] : [`${n}:${port}`]));
}
