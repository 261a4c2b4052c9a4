import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PrintError } from '../engine/index.ts';
import { sendError } from './problem.ts';
import type { ApiKey } from './config.ts';
import { ANY_OWNER, type Job } from './jobs/job-model.ts';

/** The owner of jobs made without keys (a loopback-only service). */
const LOCAL_OWNER = 'local';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-key check in constant time (hashes of equal length, compared with every key); every /v1 route
 * needs it when keys are set. The key's name becomes the request's owner: jobs belong to it.
 */
export function auth(keys: readonly ApiKey[]) {
  const wanted = keys.map((k) => ({ name: k.name, hash: digest(k.key) }));
  return (req: Request, res: Response, next: NextFunction) => {
    if (wanted.length === 0) {
      res.locals.owner = LOCAL_OWNER;
      return next();
    }
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = digest(m?.[1] ?? '');
    let owner: string | undefined;
    for (const w of wanted) if (timingSafeEqual(w.hash, given)) owner ??= w.name;
    if (m && owner) {
      res.locals.owner = owner;
      return next();
    }
    res.set('WWW-Authenticate', 'Bearer');
    sendError(res, new PrintError('UNAUTHORIZED', 'missing or wrong API key (Authorization: Bearer KEY)'));
  };
}

/** The owner `auth` gave the request: the name of its key, or the local owner when there are no keys. */
export function requestOwner(res: Response): string {
  return res.locals.owner as string;
}

/** Whether `owner` may see `job`: its own jobs, and those any key may see. */
export function ownsJob(owner: string, job: Job): boolean {
  return job.owner === owner || job.owner === ANY_OWNER;
}
