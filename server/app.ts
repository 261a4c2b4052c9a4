import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { timingSafeEqual, createHash, type Hash } from 'node:crypto';
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
import { sendError } from './problem.ts';
import type { RenderQueue } from './render-queue.ts';
import type { Metrics } from './metrics.ts';
import type { ApiKey, ServiceLimits } from './config.ts';
import { ANY_OWNER, type Job, type JobStore } from './jobs/job-store.ts';
import type { JobQueue } from './jobs/job-queue.ts';
import type { DiskSpace } from './jobs/disk-space.ts';
import { takeJob, bodyRecords, bodyTooLarge } from './jobs/intake.ts';
import { IDEMPOTENCY_KEY, type IdempotencyKeys } from './jobs/idempotency.ts';
import type { Webhooks } from './jobs/webhooks.ts';
import { requestLog } from './logger.ts';
import { openApiDocument } from './openapi.ts';
import { JobListQuery, JobQuery, RenderQuery, queryOf } from './api-schemas.ts';
import swaggerUi from 'swagger-ui-dist';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The readable API page: Swagger UI from the npm package, served from here (no network). */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shikaku-print API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
`;

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
  /** Idempotency-Key of POST /v1/jobs, kept on disk. */
  idempotency: IdempotencyKeys;
  /** Job webhooks (callbackUrl). */
  webhooks: Webhooks;
  /** Where jobs wait and print: this process's runner, or BullMQ on Redis (scale-out). */
  jobQueue: JobQueue;
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
    if (err instanceof PrintError && err.code === 'INVALID_INPUT') throw new PrintError('BAD_REQUEST', err.message);
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
    sendError(res, new PrintError('UNAUTHORIZED', 'missing or wrong API key (Authorization: Bearer KEY)'));
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
      throw new PrintError('TOO_LARGE', `a synchronous render takes at most ${max} records: send larger batches as a job (POST /v1/jobs)`);
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
    res.set('Connection', 'close'); // and sendError says when to come back, as for every 503
    sendError(res, new PrintError('UNAVAILABLE', 'the service is stopping; retry shortly'));
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const browser = ctx.engine()?.isReady() === true;
    const low = ctx.disk.low();
    const disk = { freeMb: Math.floor(ctx.disk.free() / 2 ** 20), minFreeMb: Math.ceil(ctx.disk.minFree / 2 ** 20), low };
    const queue = await ctx.jobQueue.readiness();
    // An API instance of a cluster prints no jobs: it is ready when Redis is; its browser serves counter prints only.
    const ready = queue.ready && !low && (ctx.jobQueue.mode === 'redis' || browser);
    res.status(ready ? 200 : 503).json({ ready, browser, disk, ...queue.facts });
  });
  app.get('/metrics', async (_req, res) => {
    ctx.metrics.queueDepth.set(ctx.queue.depth);
    await ctx.jobQueue.collect().catch(() => undefined);
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  // The API's description, readable without a key: what an integrator reads before asking for one.
  const document = openApiDocument(VERSION);
  app.get('/', (_req, res) => void res.json({ openapi: '/v1/openapi.json', docs: '/docs' }));
  app.get('/v1/openapi.json', (_req, res) => void res.json(document));
  app.use('/docs/assets', express.static(swaggerUi.getAbsoluteFSPath(), { index: false }));
  app.get('/docs', (_req, res) => void res.type('html').send(DOCS_PAGE));
  app.get(
    '/docs/init.js',
    (_req, res) =>
      void res
        .type('js')
        .send("window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#ui', validatorUrl: null, deepLinking: true });\n"),
  );

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
        throw new PrintError(
          'UNSUPPORTED_BODY',
          `send one record or an array of records as application/json, not ${type}; CSV and NDJSON go to POST /v1/jobs`,
        );
      }
      const engine = ctx.engine();
      if (!engine?.isReady()) throw notReady();
      const records = await syncRecords(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), ctx.limits.syncRecords);
      const png = req.accepts(['application/pdf', 'image/png']) === 'image/png';
      const output = outputOf(req);
      if (output.split !== undefined)
        throw new PrintError('REFUSED', 'split makes a ZIP of many files: post the records as a job (POST /v1/jobs?split=…)');
      if (png && JSON.stringify(output) !== JSON.stringify(OFFICE_OUTPUT)) {
        throw new PrintError(
          'BAD_REQUEST',
          'bleed, impose, duplex, order and color make PDFs for a print shop; ask for application/pdf, or leave them out for a PNG proof',
        );
      }
      // Checked before anything is rendered: the page against the records' page count, the density.
      const query = queryOf(RenderQuery, req.query);
      const page = query.page ?? 1;
      const pages = records.length * layout.sides.length;
      if (png && page > pages)
        throw new PrintError(
          'REFUSED',
          `page must be a whole number from 1 to ${pages} (${records.length} record(s) of ${layout.sides.length} side(s)), not ${page}`,
        );
      const dpi = query.dpi ?? 300;
      const mode = query.png ?? 'proof';
      const stop = ctx.metrics.renderSeconds.startTimer({ kind: 'sync' });
      // A client that leaves before its answer stops its render, as its time limit would.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const body = await ctx.queue.run(async (signal) => {
        if (png) {
          const { png: image, pageCount } = await engine.renderPage(layout.id, records, { page, dpi, signal, png: mode, lane: 'counter' });
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
      const query = queryOf(JobQuery, req.query);
      const type = mediaType(req);
      const format = FORMATS[type];
      if (!format) throw new PrintError('UNSUPPORTED_BODY', `send application/json, application/x-ndjson or text/csv, not ${type}`);
      const length = Number(req.get('content-length') ?? 0);
      if (length > ctx.limits.jobBodyBytes) throw bodyTooLarge(ctx.limits.jobBodyBytes);
      ctx.disk.require(length);
      const key = req.get('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
        throw new PrintError('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
      const owner = res.locals.owner as string;
      const output = outputOf(req);
      const callbackUrl = query.callbackUrl === undefined ? undefined : ctx.webhooks.check(query.callbackUrl);
      // What makes the job: its layout, its output options and the body's bytes, as they stream by.
      const digest = createHash('sha256').update(JSON.stringify([layout.id, output, type, callbackUrl ?? null]));
      // Not destroyed when intake stops early: the rest is drained below, so the client reads the answer.
      const body = hashed(req.iterator({ destroyOnReturn: false }), digest);
      const take = () =>
        takeJob(body, ctx.jobs, {
          layout,
          insurers: ctx.insurers,
          output,
          format,
          owner,
          limits: ctx.limits,
          disk: ctx.disk,
          bodyBytes: length,
          signal: ctx.stopping,
          callbackUrl,
        });
      const { job, replayed } =
        key === undefined
          ? { job: await take(), replayed: false }
          : await ctx.idempotency.hold(owner, key, async () => {
              const made = await take();
              const sha = digest.digest('hex');
              const first = ctx.idempotency.find(owner, key, (id) => ctx.jobs.get(id) !== undefined);
              if (!first) {
                await ctx.idempotency.remember(owner, key, { jobId: made.id, bodySha256: sha });
                return { job: made, replayed: false };
              }
              // A retry: the job taken in again is dropped before it was ever queued.
              ctx.jobs.delete(made.id);
              if (first.bodySha256 !== sha)
                throw new PrintError(
                  'REFUSED',
                  `Idempotency-Key ${JSON.stringify(key)} was used for another request (job ${first.jobId}): use a new key for a new job`,
                );
              return { job: ctx.jobs.get(first.jobId) as Job, replayed: true };
            });
      if (replayed) {
        ctx.log.info({ reqId: res.locals.requestId, job: job.id }, 'job request replayed (Idempotency-Key)');
        res.set('Idempotent-Replayed', 'true');
      } else {
        try {
          await ctx.jobQueue.enqueue(job);
        } catch (err) {
          ctx.jobs.delete(job.id); // never queued: nothing of it is kept
          throw err;
        }
        ctx.metrics.rejections.inc({ reason: 'invalid' }, job.rejected);
        ctx.log.info(
          { reqId: res.locals.requestId, job: job.id, layout: layout.id, records: job.total, rejected: job.rejected },
          'job accepted',
        );
      }
      res
        .status(replayed ? 200 : 202)
        .location(`/v1/jobs/${job.id}`)
        .json({ id: job.id, url: `/v1/jobs/${job.id}`, state: job.state, records: job.total });
    } catch (err) {
      // What the client still sends is read and dropped, so it gets the answer instead of a reset; past
      // the size limit the connection is closed after the answer instead of reading on.
      if (err instanceof PrintError && err.code === 'TOO_LARGE') res.set('Connection', 'close');
      else if (!req.complete) req.resume();
      answerError(ctx, res, err);
    }
  });

  /** The job `id` when it belongs to the asking key; any other key gets 404, as for no job at all. */
  const ownJob = async (req: Request, res: Response): Promise<Job | undefined> => {
    const job = ctx.jobs.get(String(req.params.id));
    if (job && (job.owner === res.locals.owner || job.owner === ANY_OWNER)) return ctx.jobQueue.view(job);
    answerError(ctx, res, new PrintError('NOT_FOUND', 'no such job'));
    return undefined;
  };

  app.get('/v1/jobs', async (req, res) => {
    let query;
    try {
      query = queryOf(JobListQuery, req.query);
    } catch (err) {
      return answerError(ctx, res, err);
    }
    const { state, limit = 50, cursor } = query;
    // A job's place in the list (newest first), and the cursor of a page: the place of its last job.
    const place = (j: Job) => `${j.createdAt}|${j.id}`;
    const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
    const all = (await Promise.all(ctx.jobs.list(res.locals.owner as string).map((j) => ctx.jobQueue.view(j))))
      .filter((j) => state === undefined || j.state === state)
      .filter((j) => after === undefined || place(j) < after);
    const page = all.slice(0, limit);
    const last = page.at(-1);
    const next =
      all.length > limit && last
        ? `/v1/jobs?${new URLSearchParams({ ...(state ? { state } : {}), limit: String(limit), cursor: Buffer.from(place(last)).toString('base64url') })}`
        : undefined;
    res.json({ jobs: page.map((j) => jobStatus(j, false)), ...(next ? { next } : {}) });
  });

  app.get('/v1/jobs/:id', async (req, res) => {
    const job = await ownJob(req, res);
    if (job) res.json(jobStatus(job, true));
  });

  /** Cancels a job that is queued or running, and deletes everything of it: its input, chunks, result, manifest. */
  app.delete('/v1/jobs/:id', async (req, res) => {
    const job = await ownJob(req, res);
    if (!job) return;
    try {
      await ctx.jobQueue.cancel(job.id);
    } catch (err) {
      return answerError(ctx, res, err);
    }
    ctx.jobs.delete(job.id);
    ctx.log.info({ reqId: res.locals.requestId, job: job.id, state: job.state }, 'job deleted');
    res.status(204).end();
  });
  /**
   * A finished job's result or manifest as a download an integrator can resume: Content-Length,
   * Content-Disposition (`<layout>-<job id>.pdf` or `.zip`), ETag and Last-Modified, HEAD, and Range (206) with
   * If-Range, through express's `send` (the files never change once the job is done).
   */
  const jobFile = (kind: 'result' | 'manifest') => async (req: Request, res: Response) => {
    const job = await ownJob(req, res);
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

  app.use((_req: Request, res: Response) => answerError(ctx, res, new PrintError('NOT_FOUND', 'no such route')));
  // Body parser errors (too large, unreadable) arrive here with their status.
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return answerError(ctx, res, new PrintError('TOO_LARGE', 'the request body exceeds the limit'));
    if (err.status === 400) return answerError(ctx, res, new PrintError('BAD_REQUEST', 'the body could not be read'));
    answerError(ctx, res, err);
  });
  return app;
}

/** A job as GET /v1/jobs/{id} answers it; in lists (`full` false) without its problems. */
function jobStatus(job: Job, full: boolean): Record<string, unknown> {
  return {
    id: job.id,
    url: `/v1/jobs/${job.id}`,
    layout: job.layout,
    state: job.state,
    progress: { done: job.done, total: job.total, rejected: job.rejected },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(full ? { rejections: job.rejections } : {}),
    rejectionCount: job.rejectionCount,
    ...(job.output ? { output: job.output } : {}),
    ...(job.callbackUrl ? { callbackUrl: job.callbackUrl } : {}),
    ...(job.webhook ? { webhook: { state: job.webhook.state, attempts: job.webhook.attempts, delivery: job.webhook.delivery } } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.state === 'done' ? { result: `/v1/jobs/${job.id}/result`, manifest: `/v1/jobs/${job.id}/manifest` } : {}),
  };
}

/** The body's pieces as they come, each added to `digest` on its way to the intake. */
async function* hashed(body: AsyncIterable<Uint8Array>, digest: Hash): AsyncGenerator<Uint8Array> {
  for await (const piece of body) {
    digest.update(piece);
    yield piece;
  }
}

function notReady(): PrintError {
  return new PrintError('UNAVAILABLE', 'the browser is not up; retry shortly');
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
  const code = err instanceof PrintError ? err.code : undefined;
  const reason = code === 'TIMED_OUT' ? 'timeout' : REASONS[status];
  if (reason) ctx.metrics.rejections.inc({ reason });
  // Messages of these codes say what the service met, never a record's value: they go to the log.
  if (code === 'DISK_FULL') ctx.log.error({ reqId, reason: (err as PrintError).message }, 'job refused: disk full');
  else if (code === 'TIMED_OUT') ctx.log.warn({ reqId, ...(err as PrintError).facts }, 'render timed out');
  else if (code === 'UNAVAILABLE') ctx.log.info({ reqId, reason: (err as PrintError).message }, 'refused: not available');
  else if (code === 'SETUP' || code === 'RENDER' || code === 'CANCELLED')
    ctx.log.error({ reqId, code, cause: code === 'CANCELLED' ? undefined : (err as PrintError).message }, 'render failed');
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
