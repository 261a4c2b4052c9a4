import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
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
 * The HTTP log (pino-http): one line per request when it ends, with its id (the caller's X-Request-Id when
 * it is a sane one, else a new UUID; answered in X-Request-Id and kept in `res.locals.requestId`), method,
 * path, status and duration in ms. Only those: no query string (it may hold a callbackUrl), no headers (the
 * API key), never a body.
 */
export function requestLog(log: Logger) {
  const http = pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && CALLER_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customAttributeKeys: { reqId: 'reqId', responseTime: 'ms' },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    // A 4xx or 5xx is the answer's business, logged where it is made (answerError): the request line stays info.
    customLogLevel: () => 'info',
    quietReqLogger: true,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    http(req, res);
    res.locals.requestId = req.id;
    next();
  };
}
