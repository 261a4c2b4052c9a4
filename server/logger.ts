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

/** Gives each request an id (X-Request-Id) and logs it when it ends, with its duration. */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = randomUUID();
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
