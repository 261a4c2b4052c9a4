import express, { type NextFunction, type Request, type Response } from 'express';
import { createReadStream, existsSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { rasterizePdf, getLayout, parseRecords, triageRecords, PrintError, type Engine, type Layout, type RecordFormat } from '../engine/index.ts';
import { sendError, sendProblem } from './problem.ts';
import { QueueFullError, RenderTimeoutError, type RenderQueue } from './render-queue.ts';
import type { Metrics } from './metrics.ts';
import type { JobStore } from './jobs/job-store.ts';
import type { JobRunner } from './jobs/job-runner.ts';
import { requestLog } from './logger.ts';

/** What the routes need. */
export interface AppContext {
  /** The engine once it is up; undefined while it starts or after it failed. */
  engine: () => Engine | undefined;
  layouts: Map<string, Layout>;
  apiKeys: readonly string[];
  /** Body limit of synchronous renders (express size, e.g. "2mb"). */
  bodyLimit: string;
  /** Body limit of batch jobs. */
  jobBodyLimit: string;
  queue: RenderQueue;
  jobs: JobStore;
  runner: JobRunner;
  metrics: Metrics;
  log: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer-key check in constant time (hashes of equal length); every /v1 route needs it when keys are set. */
function auth(keys: readonly string[]) {
  const wanted = keys.map(digest);
  return (req: Request, res: Response, next: NextFunction) => {
    if (wanted.length === 0) return next();
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = digest(m?.[1] ?? '');
    let ok = false;
    for (const w of wanted) ok = timingSafeEqual(w, given) || ok; // compare with every key, always
    if (m && ok) return next();
    res.set('WWW-Authenticate', 'Bearer');
    sendProblem(res, 401, 'Unauthorized', 'missing or wrong API key (Authorization: Bearer KEY)');
  };
}

const FORMATS: Record<string, RecordFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
};

/** The HTTP print service's routes (shared/spec/interfaces.md, prefix /v1). */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(ctx.log));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    const ready = ctx.engine()?.isReady() === true;
    res.status(ready ? 200 : 503).json({ ready });
  });
  app.get('/metrics', async (_req, res) => {
    ctx.metrics.queueDepth.set(ctx.queue.depth);
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.use('/v1', auth(ctx.apiKeys));
  app.get('/v1/layouts', (_req, res) => {
    res.json([...ctx.layouts.values()].map((l) => ({ id: l.id, name: l.name, document: l.document, page: l.page, sides: l.sides.map((s) => s.id), required: l.required })));
  });

  app.post('/v1/render/:layout', express.json({ limit: ctx.bodyLimit, type: ['application/json', 'application/*+json'] }), async (req, res) => {
    try {
      const layout = getLayout(ctx.layouts, String(req.params.layout));
      const engine = ctx.engine();
      if (!engine?.isReady()) return notReady(res);
      const records: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
      const png = req.accepts(['application/pdf', 'image/png']) === 'image/png';
      const page = Number(req.query.page ?? 1);
      const stop = ctx.metrics.renderSeconds.startTimer({ kind: 'sync' });
      const body = await ctx.queue.run(async (signal) => {
        const result = await engine.renderPdf(layout.id, records, { signal });
        ctx.metrics.pages.inc({ layout: layout.id }, result.pageCount);
        if (!png) return Buffer.from(result.pdf);
        if (!Number.isInteger(page) || page < 1 || page > result.pageCount) {
          throw new PrintError('INVALID_INPUT', `page must be a whole number from 1 to ${result.pageCount}`);
        }
        return (await rasterizePdf(result.pdf, result.pageCount, layout.page, 300))[page - 1] as Buffer;
      });
      stop();
      res.type(png ? 'image/png' : 'application/pdf').send(body);
    } catch (err) {
      answerError(ctx, res, err);
    }
  });

  app.post('/v1/jobs', express.raw({ limit: ctx.jobBodyLimit, type: () => true }), (req, res) => {
    try {
      const layout = getLayout(ctx.layouts, String(req.query.layout ?? ''));
      const type = (req.get('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
      const format = FORMATS[type];
      if (!format) return sendProblem(res, 415, 'Unsupported body', `send application/json, application/x-ndjson or text/csv, not ${type}`);
      const raws = parseRecords(req.body as Buffer, format, 'the body');
      if (raws.length === 0) throw new PrintError('INVALID_INPUT', 'the body holds no records');
      const { valid, problems } = triageRecords(raws, layout);
      const rejections = problems.map((p) => ({ record: p.record, path: p.path, message: `${p.label}: ${p.message}` }));
      ctx.metrics.rejections.inc({ reason: 'invalid' }, new Set(problems.map((p) => p.record)).size);
      const job = ctx.jobs.create(layout.id, raws, valid, rejections);
      ctx.runner.enqueue(job.id);
      ctx.log.info({ reqId: res.locals.requestId, job: job.id, layout: layout.id, records: raws.length, rejected: new Set(problems.map((p) => p.record)).size }, 'job accepted');
      res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, url: `/v1/jobs/${job.id}`, state: job.state, records: raws.length });
    } catch (err) {
      answerError(ctx, res, err);
    }
  });

  app.get('/v1/jobs/:id', (req, res) => {
    const job = ctx.jobs.get(String(req.params.id));
    if (!job) return sendProblem(res, 404, 'Not found', 'no such job');
    const rejected = new Set(job.rejections.map((r) => r.record)).size;
    res.json({
      id: job.id,
      layout: job.layout,
      state: job.state,
      progress: { done: job.done, total: job.total, rejected },
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      rejections: job.rejections,
      ...(job.error ? { error: job.error } : {}),
      ...(job.state === 'done' ? { result: `/v1/jobs/${job.id}/result`, manifest: `/v1/jobs/${job.id}/manifest` } : {}),
    });
  });
  const jobFile = (kind: 'result' | 'manifest') => (req: Request, res: Response) => {
    const job = ctx.jobs.get(String(req.params.id));
    if (!job) return sendProblem(res, 404, 'Not found', 'no such job');
    const path = kind === 'result' ? ctx.jobs.resultPath(job.id) : ctx.jobs.manifestPath(job.id);
    if (job.state !== 'done' || !existsSync(path)) return sendProblem(res, 409, 'Not finished', `the job is ${job.state}; its ${kind} is there once it is done`);
    res.type(kind === 'result' ? 'application/pdf' : 'application/json');
    createReadStream(path).pipe(res);
  };
  app.get('/v1/jobs/:id/result', jobFile('result'));
  app.get('/v1/jobs/:id/manifest', jobFile('manifest'));

  app.use((_req: Request, res: Response) => sendProblem(res, 404, 'Not found', 'no such route'));
  // Body parser errors (too large, malformed JSON) arrive here with their status.
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      ctx.metrics.rejections.inc({ reason: 'too_large' });
      return sendProblem(res, 413, 'Body too large', 'the request body exceeds the limit');
    }
    if (err.status === 400) return sendProblem(res, 400, 'Malformed body', 'the body is not valid JSON');
    ctx.log.error({ reqId: res.locals.requestId }, 'unexpected error');
    sendProblem(res, 500, 'Internal error', 'unexpected failure');
  });
  return app;
}

function notReady(res: Response): void {
  res.set('Retry-After', '5');
  sendProblem(res, 503, 'Not ready', 'the browser is not up; retry shortly');
}

/** Maps queue and engine errors to answers and metrics; logs codes and counts, never record values. */
function answerError(ctx: AppContext, res: Response, err: unknown): void {
  const reqId = res.locals.requestId as string;
  if (err instanceof QueueFullError) {
    ctx.metrics.rejections.inc({ reason: 'queue_full' });
    res.set('Retry-After', String(err.retryAfterSeconds));
    return sendProblem(res, 429, 'Too many requests', 'the render queue is full; retry after the time in Retry-After');
  }
  if (err instanceof RenderTimeoutError) {
    ctx.metrics.rejections.inc({ reason: 'timeout' });
    ctx.log.warn({ reqId, limitMs: err.limitMs }, 'render timed out');
    return sendProblem(res, 503, 'Render timed out', err.message);
  }
  if (err instanceof PrintError) {
    if (err.code === 'INVALID_INPUT') ctx.metrics.rejections.inc({ reason: 'invalid' });
    else ctx.log.error({ reqId, code: err.code }, 'render failed');
  } else {
    ctx.log.error({ reqId }, 'unexpected error');
  }
  sendError(res, err);
}
