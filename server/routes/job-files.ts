import type { Express, Request, Response } from 'express';
import { existsSync, statSync, type Stats } from 'node:fs';
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
   * Content-Disposition (`<layout>-<job id>.pdf` or `.zip`), a strong ETag and Last-Modified, HEAD, and Range
   * (206) with If-Range (ifRangeHolds), through express's `send` (the files never change once the job is
   * done). An error answer (416 included) is problem+json with no Content-Disposition.
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
      let file: Stats;
      try {
        file = statSync(path);
      } catch {
        return answerError(ctx, res, new PrintError('GONE', 'the job was deleted while its file was asked for'));
      }
      // A strong ETag (the file never changes once the job is done), so that If-Range can match it.
      const etag = `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
      res.set('ETag', etag);
      const ifRange = req.get('if-range');
      if (ifRange !== undefined) {
        if (!ifRangeHolds(ifRange, etag, file.mtime)) delete req.headers.range; // the whole file, 200
        delete req.headers['if-range']; // decided here: send's own test takes W/"x" for "x"
      }
      res.attachment(`${job.layout}-${job.id}${suffix}`);
      res.sendFile(path, { acceptRanges: true, etag: false, lastModified: true, cacheControl: false }, (err?: Error) => {
        if (!err || res.headersSent) return;
        // An answer about the request, not the file: nothing to save under the file's name.
        res.removeHeader('Content-Disposition');
        if ((err as { status?: number }).status === 416) {
          res.set('Content-Range', `bytes */${file.size}`);
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

/**
 * Whether a Range request's If-Range lets the range be sent (RFC 9110, 13.1.5): an entity tag by the strong
 * comparison (neither weak, the same characters), so `W/"…"` never matches; an HTTP-date when it is exactly
 * the file's Last-Modified (to the second). Anything else does not hold: the client gets the whole file.
 */
function ifRangeHolds(ifRange: string, etag: string, lastModified: Date): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag && !etag.startsWith('W/');
  const date = Date.parse(value);
  return Number.isFinite(date) && date === Math.floor(lastModified.getTime() / 1000) * 1000;
}
