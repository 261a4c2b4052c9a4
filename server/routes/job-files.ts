import type { Express, Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { PrintError } from '../../engine/index.ts';
import type { AppContext } from './app-context.ts';
import { answerError } from './answer-error.ts';
import { ownJob } from './jobs.ts';

/**
 * A finished job's downloads: GET and HEAD /v1/jobs/{id}/result, /manifest, a mailing job's /mailing and
 * /mailing.pdf, and a registered mailing job's /receipts.pdf and /receipts.csv.
 */
export function addJobFileRoutes(app: Express, ctx: AppContext): void {
  /**
   * A finished job's result or manifest as a download an integrator can resume: Content-Length,
   * Content-Disposition (`<layout>-<job id>.pdf` or `.zip`), ETag and Last-Modified, HEAD, and Range (206) with
   * If-Range, through express's `send` (the files never change once the job is done).
   */
  const jobFile =
    (kind: 'result' | 'manifest' | 'mailing' | 'mailing.pdf' | 'receipts.pdf' | 'receipts.csv') => async (req: Request, res: Response) => {
      const job = await ownJob(ctx, req, res);
      if (!job) return;
      if (kind.startsWith('mailing') && !job.mailing)
        return answerError(ctx, res, new PrintError('NOT_FOUND', 'the job is no mailing run (mail=): it has no mailing summary'));
      if (kind.startsWith('receipts') && !job.mailing?.registered)
        return answerError(
          ctx,
          res,
          new PrintError('NOT_FOUND', 'the job is no registered mailing run (registered=): it has no receipt list'),
        );
      const path = {
        result: () => ctx.jobs.resultPath(job),
        manifest: () => ctx.jobs.manifestPath(job.id),
        mailing: () => ctx.jobs.mailingPath(job.id, 'json'),
        'mailing.pdf': () => ctx.jobs.mailingPath(job.id, 'pdf'),
        'receipts.pdf': () => ctx.jobs.receiptsPath(job.id, 'pdf'),
        'receipts.csv': () => ctx.jobs.receiptsPath(job.id, 'csv'),
      }[kind]();
      if (job.state !== 'done' || !existsSync(path))
        return answerError(ctx, res, new PrintError('NOT_FINISHED', `the job is ${job.state}; its ${kind} is there once it is done`));
      const suffix = {
        result: extname(path),
        manifest: '.manifest.json',
        mailing: '.mailing.json',
        'mailing.pdf': '.mailing.pdf',
        'receipts.pdf': '.receipts.pdf',
        'receipts.csv': '.receipts.csv',
      }[kind];
      res.attachment(`${job.layout}-${job.id}${suffix}`);
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
  // A mailing job's summary for the 差出票: counts only (engine/mail/mailing-summary.ts).
  app.get('/v1/jobs/:id/mailing', jobFile('mailing'));
  app.get('/v1/jobs/:id/mailing.pdf', jobFile('mailing.pdf'));
  // A registered mailing job's 差出票 / 受領証 (engine/mail/receipt-list.ts): names and addresses, as its result.
  app.get('/v1/jobs/:id/receipts.pdf', jobFile('receipts.pdf'));
  app.get('/v1/jobs/:id/receipts.csv', jobFile('receipts.csv'));
}
