import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import pino, { type Logger, type DestinationStream } from 'pino';

/**
 * The service's structured log (pino, JSON lines). It carries request ids, routes, statuses, durations,
 * counts and error codes; never a field value of a record: names, addresses and numbers are personal data.
 */
export function createLogger(destination?: DestinationStream): Logger {
  return pino({ base: { service: 'shikaku-print' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination(2));
}

/**
 * An X-Request-Id a caller may give: 1 to 128 letters, digits and `._:-` (a UUID, a trace id, a system's
 * own number), so that our log lines join theirs. Anything else (too long, spaces, control characters
 * that would forge log lines) is replaced by a new id.
 */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request an id, the caller's X-Request-Id when it is a sane one, else a new UUID; answers it
 * in X-Request-Id and logs it when the request ends, with its duration.
 */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const id = given !== undefined && CALLER_ID.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: no query string, no body.
      log.info({ reqId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
