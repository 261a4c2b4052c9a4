import type { Express, Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { PrintError } from '../../engine/index.ts';
import type { AppContext } from './app-context.ts';
import { answerError } from './answer-error.ts';
import { ownJob } from './jobs.ts';

/** A finished job's downloads: GET and HEAD /v1/jobs/{id}/result and /v1/jobs/{id}/manifest. */
export function addJobFileRoutes(app: Express, ctx: AppContext): void {
  /**
   * A finished job's result or manifest as a download an integrator can resume: Content-Length,
   * Content-Disposition (`<layout>-<job id>.pdf` or `.zip`), ETag and Last-Modified, HEAD, and Range (206) with
   * If-Range, through express's `send` (the files never change once the job is done).
   */
  const jobFile = (kind: 'result' | 'manifest') => async (req: Request, res: Response) => {
    const job = await ownJob(ctx, req, res);
    if (!job) return;
    const path = kind === 'result' ? ctx.jobs.resultPath(job) : ctx.jobs.manifestPath(job.id);
    if (job.state !== 'done' || !existsSync(path))
      return answerError(ctx, res, new PrintError('NOT_FINISHED', `the job is ${job.state}; its ${kind} is there once it is done`));
    res.attachment(`${job.layout}-${job.id}${kind === 'result' ? extname(path) : '.manifest.json'}`);
    res.sendFile(path, { acceptRanges: true, etag: true, lastModified: true, cacheControl: false }, (err?: Error) => {
      if (!err || res.headersSent) return;
      if ((err as { status?: number }).status === 416) {
        res.set('Content-Range', `bytes */${statSync(path).size}`);
        return answerError(ctx, res, new PrintError('BAD_RANGE', 'the range asked for is not within the file'));
      }
      answerError(ctx, res, new PrintError('GONE', 'the job was deleted while its file was asked for'));
    });
  };
  app.get('/v1/jobs/:id/result', jobFile('result'));
  app.get('/v1/jobs/:id/manifest', jobFile('manifest'));
}
