import express, { type NextFunction, type Request, type Response } from 'express';
import { createReadStream, existsSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  getLayout,
  parseOutputOptions,
  pressBuffer,
  OFFICE_OUTPUT,
  PrintError,
  type Engine,
  type Insurers,
  type Layout,
  type OutputOptions,
  type RecordFormat,
} from '../engine/index.ts';
import { sendError, sendProblem } from './problem.ts';
import type { RenderQueue } from './render-queue.ts';
import type { Metrics } from './metrics.ts';
import type { ApiKey, ServiceLimits } from './config.ts';
import { ANY_OWNER, type Job, type JobStore } from './jobs/job-store.ts';
import type { JobRunner } from './jobs/job-runner.ts';
import type { DiskSpace } from './jobs/disk-space.ts';
import { takeJob, bodyRecords, bodyTooLarge, IntakeError } from './jobs/intake.ts';
import { RenderTimeoutError } from './render-queue.ts';
import { requestLog } from './logger.ts';

/** What the routes need. */
export interface AppContext {
  /** The engine once it is up; undefined while it starts or after it failed. */
  engine: () => Engine | undefined;
  layouts: Map<string, Layout>;
  /** The insurer profiles records are completed from (SHIKAKU_INSURERS_DIR). */
  insurers: Insurers;
  /** The press's ICC profile for `color=press` (SHIKAKU_PRESS_ICC). */
  pressIcc?: string | undefined;
  apiKeys: readonly ApiKey[];
  limits: ServiceLimits;
  queue: RenderQueue;
  jobs: JobStore;
  runner: JobRunner;
  disk: DiskSpace;
  metrics: Metrics;
  log: Logger;
  /** Aborts when the service stops: bodies being taken in are dropped, new requests get 503. */
  stopping: AbortSignal;
}

/** The production-output options of a request's query (interfaces.md); a wrong one is a 400 naming it. */
function outputOf(req: Request): OutputOptions {
  try {
    return parseOutputOptions(req.query);
  } catch (err) {
    if (err instanceof PrintError) throw new IntakeError(400, err.message);
    throw err;
  }
}

/** The owner of jobs made without keys (a loopback-only service). */
const LOCAL_OWNER = 'local';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-key check in constant time (hashes of equal length, compared with every key); every /v1 route
 * needs it when keys are set. The key's name becomes the request's owner: jobs belong to it.
 */
function auth(keys: readonly ApiKey[]) {
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

const mediaType = (req: Request) => (req.get('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();

/** Reads at most `max` records of a small body; one more is a 413 saying to send a job instead. */
async function syncRecords(body: Buffer, max: number): Promise<unknown[]> {
  const records: unknown[] = [];
  for await (const r of bodyRecords([body], 'json')) {
    if (records.length === max) {
      throw new IntakeError(413, `a synchronous render takes at most ${max} records: send larger batches as a job (POST /v1/jobs)`);
    }
    records.push(r);
  }
  return records;
}

/** The HTTP print service's routes (shared/spec/interfaces.md, prefix /v1). */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(ctx.log));
  app.use((_req, res, next) => {
    if (!ctx.stopping.aborted) return next();
    res.set({ 'Retry-After': '5', Connection: 'close' });
    sendProblem(res, 503, 'Stopping', 'the service is stopping; retry shortly');
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    const browser = ctx.engine()?.isReady() === true;
    const low = ctx.disk.low();
    const disk = { freeMb: Math.floor(ctx.disk.free() / 2 ** 20), minFreeMb: Math.ceil(ctx.disk.minFree / 2 ** 20), low };
    res.status(browser && !low ? 200 : 503).json({ ready: browser && !low, browser, disk });
  });
  app.get('/metrics', async (_req, res) => {
    ctx.metrics.queueDepth.set(ctx.queue.depth);
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.use('/v1', auth(ctx.apiKeys));
  app.get('/v1/layouts', (_req, res) => {
    res.json(
      [...ctx.layouts.values()].map((l) => ({
        id: l.id,
        name: l.name,
        document: l.document,
        page: l.page,
        sides: l.sides.map((s) => s.id),
        required: l.required,
      })),
    );
  });

  app.post('/v1/render/:layout', express.raw({ limit: ctx.limits.syncBodyBytes, type: () => true }), async (req, res) => {
    try {
      const layout = getLayout(ctx.layouts, String(req.params.layout));
      const type = mediaType(req);
      if (type !== 'application/json' && !type.endsWith('+json')) {
        return sendProblem(
          res,
          415,
          'Unsupported body',
          `send one record or an array of records as application/json, not ${type}; CSV and NDJSON go to POST /v1/jobs`,
        );
      }
      const engine = ctx.engine();
      if (!engine?.isReady()) return notReady(res);
      const records = await syncRecords(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), ctx.limits.syncRecords);
      const png = req.accepts(['application/pdf', 'image/png']) === 'image/png';
      const output = outputOf(req);
      if (png && JSON.stringify(output) !== JSON.stringify(OFFICE_OUTPUT)) {
        throw new IntakeError(
          400,
          'bleed, impose, duplex, order and color make PDFs for a print shop; ask for application/pdf, or leave them out for a PNG proof',
        );
      }
      const page = Number(req.query.page ?? 1);
      const mode = req.query.png ?? 'proof';
      if (mode !== 'proof' && mode !== 'k')
        throw new IntakeError(400, `png must be proof or k (pure black on white, for card printers), not ${JSON.stringify(mode)}`);
      const stop = ctx.metrics.renderSeconds.startTimer({ kind: 'sync' });
      // A client that leaves before its answer stops its render, as its time limit would.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const body = await ctx.queue.run(async (signal) => {
        if (png) {
          const { png: image, pageCount } = await engine.renderPage(layout.id, records, { page, signal, png: mode, lane: 'counter' });
          ctx.metrics.pages.inc({ layout: layout.id }, pageCount);
          return image;
        }
        const result = await engine.renderPdf(layout.id, records, { signal, output, name: `${layout.id}.pdf`, lane: 'counter' });
        ctx.metrics.pages.inc({ layout: layout.id }, result.pageCount);
        return output.color === 'press' ? pressBuffer(result.pdf, layout.name, ctx.pressIcc) : Buffer.from(result.pdf);
      }, gone.signal);
      stop();
      res.type(png ? 'image/png' : 'application/pdf').send(body);
    } catch (err) {
      if (res.destroyed) return void ctx.log.info({ reqId: res.locals.requestId }, 'client left; its render was stopped');
      answerError(ctx, res, err);
    }
  });

  app.post('/v1/jobs', async (req, res) => {
    try {
      const layout = getLayout(ctx.layouts, typeof req.query.layout === 'string' ? req.query.layout : '');
      const type = mediaType(req);
      const format = FORMATS[type];
      if (!format) return sendProblem(res, 415, 'Unsupported body', `send application/json, application/x-ndjson or text/csv, not ${type}`);
      const length = Number(req.get('content-length') ?? 0);
      if (length > ctx.limits.jobBodyBytes) throw bodyTooLarge(ctx.limits.jobBodyBytes);
      ctx.disk.require(length);
      // Not destroyed when intake stops early: the rest is drained below, so the client reads the answer.
      const output = outputOf(req);
      const job = await takeJob(req.iterator({ destroyOnReturn: false }), ctx.jobs, {
        layout,
        insurers: ctx.insurers,
        output,
        format,
        owner: res.locals.owner as string,
        limits: ctx.limits,
        disk: ctx.disk,
        bodyBytes: length,
        signal: ctx.stopping,
      });
      ctx.metrics.rejections.inc({ reason: 'invalid' }, job.rejected);
      ctx.runner.enqueue(job.id);
      ctx.log.info(
        { reqId: res.locals.requestId, job: job.id, layout: layout.id, records: job.total, rejected: job.rejected },
        'job accepted',
      );
      res
        .status(202)
        .location(`/v1/jobs/${job.id}`)
        .json({ id: job.id, url: `/v1/jobs/${job.id}`, state: job.state, records: job.total });
    } catch (err) {
      // What the client still sends is read and dropped, so it gets the answer instead of a reset; past
      // the size limit the connection is closed after the answer instead of reading on.
      if (err instanceof IntakeError && err.status === 413) res.set('Connection', 'close');
      else if (!req.complete) req.resume();
      answerError(ctx, res, err);
    }
  });

  /** The job `id` when it belongs to the asking key; any other key gets 404, as for no job at all. */
  const ownJob = (req: Request, res: Response): Job | undefined => {
    const job = ctx.jobs.get(String(req.params.id));
    if (job && (job.owner === res.locals.owner || job.owner === ANY_OWNER)) return job;
    sendProblem(res, 404, 'Not found', 'no such job');
    return undefined;
  };

  app.get('/v1/jobs/:id', (req, res) => {
    const job = ownJob(req, res);
    if (!job) return;
    res.json({
      id: job.id,
      layout: job.layout,
      state: job.state,
      progress: { done: job.done, total: job.total, rejected: job.rejected },
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      rejections: job.rejections,
      rejectionCount: job.rejectionCount,
      ...(job.output ? { output: job.output } : {}),
      ...(job.error ? { error: job.error } : {}),
      ...(job.state === 'done' ? { result: `/v1/jobs/${job.id}/result`, manifest: `/v1/jobs/${job.id}/manifest` } : {}),
    });
  });
  const jobFile = (kind: 'result' | 'manifest') => (req: Request, res: Response) => {
    const job = ownJob(req, res);
    if (!job) return;
    const path = kind === 'result' ? ctx.jobs.resultPath(job.id) : ctx.jobs.manifestPath(job.id);
    if (job.state !== 'done' || !existsSync(path))
      return sendProblem(res, 409, 'Not finished', `the job is ${job.state}; its ${kind} is there once it is done`);
    res.type(kind === 'result' ? 'application/pdf' : 'application/json');
    createReadStream(path).pipe(res);
  };
  app.get('/v1/jobs/:id/result', jobFile('result'));
  app.get('/v1/jobs/:id/manifest', jobFile('manifest'));

  app.use((_req: Request, res: Response) => sendProblem(res, 404, 'Not found', 'no such route'));
  // Body parser errors (too large) arrive here with their status.
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      ctx.metrics.rejections.inc({ reason: 'too_large' });
      return sendProblem(res, 413, 'Body too large', 'the request body exceeds the limit');
    }
    if (err.status === 400) return sendProblem(res, 400, 'Malformed body', 'the body could not be read');
    ctx.log.error({ reqId: res.locals.requestId }, 'unexpected error');
    sendProblem(res, 500, 'Internal error', 'unexpected failure');
  });
  return app;
}

function notReady(res: Response): void {
  res.set('Retry-After', '5');
  sendProblem(res, 503, 'Not ready', 'the browser is not up; retry shortly');
}

const REASONS: Record<number, string> = {
  400: 'invalid',
  413: 'too_large',
  422: 'invalid',
  429: 'queue_full',
  503: 'unavailable',
  507: 'disk_full',
};

/** Answers an error, counts it, and logs what the operator needs: codes and causes, never record values. */
function answerError(ctx: AppContext, res: Response, err: unknown): void {
  const status = sendError(res, err, ctx.limits.problems);
  const reqId = res.locals.requestId as string;
  const reason = err instanceof RenderTimeoutError ? 'timeout' : REASONS[status];
  if (reason) ctx.metrics.rejections.inc({ reason });
  if (status === 507) ctx.log.error({ reqId, reason: (err as Error).message }, 'job refused: disk full');
  else if (status === 503 && err instanceof PrintError)
    ctx.log.error({ reqId, code: err.code, cause: err.code === 'CANCELLED' ? undefined : err.message }, 'render failed');
  else if (err instanceof RenderTimeoutError) ctx.log.warn({ reqId, limitMs: err.limitMs }, 'render timed out');
  else if (status === 503) ctx.log.info({ reqId }, 'refused: the service is stopping');
  // The stack without its message: a message may quote a record (JSON.parse quotes what it could not read).
  else if (status === 500)
    ctx.log.error(
      {
        reqId,
        err: err instanceof Error ? err.name : typeof err,
        at:
          err instanceof Error
            ? err.stack
                ?.split('\n')
                .slice(1, 4)
                .map((l) => l.trim())
            : undefined,
      },
      'unexpected error',
    );
}
