import type { Express, Request, Response } from 'express';
import { createHash, type Hash } from 'node:crypto';
import {
  getLayout,
  getEnvelope,
  loadEnvelopes,
  mailCarrier,
  PrintError,
  parseBand,
  type InquiryBand,
  type RegisteredKind,
  type Layout,
  type OutputOptions,
  type RecordFormat,
} from '../../engine/index.ts';
import { failedForNow, type Job, type JobMailing } from '../jobs/job-model.ts';
import { takeJob, bodyTooLarge, receiveJob, checkReceived, takeUnannouncedJob, type IntakeOptions } from '../jobs/intake.ts';
import { IDEMPOTENCY_KEY } from '../jobs/idempotency.ts';
import { JobListQuery, JobQuery, queryOf } from '../api-schemas.ts';
import { ownsJob, requestOwner } from '../auth.ts';
import type { AppContext } from './app-context.ts';
import { answerError } from './answer-error.ts';
import { mediaType, outputOf } from './print-request.ts';

const FORMATS: Record<string, RecordFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
};

/** The job `id` when it belongs to the asking key; any other key gets 404, as for no job at all. */
export async function ownJob(ctx: AppContext, req: Request, res: Response): Promise<Job | undefined> {
  const job = ctx.jobs.get(String(req.params.id));
  if (job && ownsJob(requestOwner(res), job)) return ctx.jobQueue.view(job);
  answerError(ctx, res, new PrintError('NOT_FOUND', 'no such job'));
  return undefined;
}

/** The batch print's routes: POST /v1/jobs takes a job in, GET lists or shows jobs, DELETE cancels one. */
export function addJobRoutes(app: Express, ctx: AppContext): void {
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
      const owner = requestOwner(res);
      const output = outputOf(req);
      const mailing = mailingOf(query, output, layout, ctx.layouts);
      const callbackUrl = query.callbackUrl === undefined ? undefined : ctx.webhooks.check(query.callbackUrl);
      // What makes the job: its layout, its output options and the body's bytes, as they stream by.
      const digest = createHash('sha256').update(
        JSON.stringify([layout.id, output, type, callbackUrl ?? null, ...(mailing ? [mailing] : [])]),
      );
      // Not destroyed when intake stops early: the rest is drained below, so the client reads the answer.
      const body = hashed(req.iterator({ destroyOnReturn: false }), digest);
      const intake: IntakeOptions = {
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
        mailing,
      };
      // A large body is answered once received and checked afterwards (its job `validating` meanwhile);
      // a small one is checked first, so that an invalid one gets its 422 at once. A body without a
      // Content-Length is received whole first, then one or the other by the size it turned out to have.
      const announced = req.get('content-length') !== undefined;
      const onReceipt = length > ctx.limits.receiptBodyBytes;
      const take = () => (!announced ? takeUnannouncedJob : onReceipt ? receiveJob : takeJob)(body, ctx.jobs, intake);
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
      } else if (job.state === 'validating') {
        ctx.log.info({ reqId: res.locals.requestId, job: job.id, layout: layout.id, bytes: length }, 'job received: checking its records');
        checkThenQueue(ctx, job, intake);
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
    const all = (await Promise.all(ctx.jobs.list(requestOwner(res)).map((j) => ctx.jobQueue.view(j))))
      .filter((j) => state === undefined || j.state === state)
      .filter((j) => after === undefined || place(j) < after);
    const page = all.slice(0, limit);
    const last = page.at(-1);
    const next =
      all.length > limit && last
        ? `/v1/jobs?${new URLSearchParams({ ...(state ? { state } : {}), limit: String(limit), cursor: Buffer.from(place(last)).toString('base64url') })}`
        : undefined;
    const stale = page.some((j) => mayBeStale(ctx, j)) ? await staleness(ctx, page[0] as Job, true) : undefined;
    res.json({ jobs: page.map((j) => jobStatus(j, false, mayBeStale(ctx, j) ? stale : undefined)), ...(next ? { next } : {}) });
  });

  app.get('/v1/jobs/:id', async (req, res) => {
    const job = await ownJob(ctx, req, res);
    if (job) res.json(jobStatus(job, true, await staleness(ctx, job)));
  });

  /** Cancels a job that is queued or running, and deletes everything of it: its input, chunks, result, manifest. */
  app.delete('/v1/jobs/:id', async (req, res) => {
    const job = await ownJob(ctx, req, res);
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
}

/**
 * Checks a body received whole (answered 202 already), then queues its job, or leaves it failed with the
 * problems its 422 would have listed; its webhook, if any, says either.
 */
function checkThenQueue(ctx: AppContext, received: Job, intake: IntakeOptions): void {
  const checked = checkReceived(received, ctx.jobs, { ...intake, ending: (job) => ctx.webhooks.prepare(job) });
  void checked.then(
    async (outcome) => {
      if (!outcome) return ctx.log.info({ job: received.id }, 'job check stopped: deleted, or the service is stopping');
      const { job } = outcome;
      if (job.state === 'failed') {
        ctx.metrics.rejections.inc({ reason: 'invalid' });
        ctx.log.info(
          { job: job.id, code: outcome.refused?.code ?? 'unexpected', problems: job.rejectionCount },
          'job failed: its records were refused',
        );
        return ctx.webhooks.notify(job);
      }
      try {
        await ctx.jobQueue.enqueue(job);
      } catch (err) {
        // Committed queued: the queue's upkeep queues it again (Redis mode's lost-flow check).
        ctx.log.warn({ job: job.id, err: (err as Error).message }, 'job checked but not queued yet: queued again by the upkeep');
      }
      ctx.metrics.rejections.inc({ reason: 'invalid' }, job.rejected);
      ctx.log.info({ job: job.id, layout: job.layout, records: job.total, rejected: job.rejected }, 'job accepted');
    },
    (err: unknown) => ctx.log.error({ job: received.id, err: err instanceof Error ? err.name : typeof err }, 'job check failed'),
  );
}

/** Whether the status of `job` comes partly from Redis (a cluster's job that has not ended). */
function mayBeStale(ctx: AppContext, job: Job): boolean {
  return ctx.jobQueue.mode === 'redis' && (job.state === 'queued' || job.state === 'running');
}

/**
 * A cluster's job whose progress lives in Redis while it prints: with Redis unreachable its status is what
 * the folder last said, marked `stale` with the time of that (`asOf`) rather than passed off as current.
 */
async function staleness(ctx: AppContext, job: Job, any = false): Promise<{ stale: true; asOf: string } | undefined> {
  if (!any && !mayBeStale(ctx, job)) return undefined;
  const { ready } = await ctx.jobQueue.readiness().catch(() => ({ ready: false }));
  return ready ? undefined : { stale: true, asOf: job.updatedAt };
}

/** A job as GET /v1/jobs/{id} answers it; in lists (`full` false) without its problems. */
function jobStatus(job: Job, full: boolean, stale?: { stale: true; asOf: string }): Record<string, unknown> {
  return {
    id: job.id,
    url: `/v1/jobs/${job.id}`,
    layout: job.layout,
    state: job.state,
    ...(stale ? { stale: true, asOf: job.updatedAt } : {}),
    progress: { done: job.done, total: job.total, rejected: job.rejected },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(full ? { rejections: job.rejections } : {}),
    rejectionCount: job.rejectionCount,
    ...(job.output ? { output: job.output } : {}),
    ...(job.callbackUrl ? { callbackUrl: job.callbackUrl } : {}),
    ...(job.webhook ? { webhook: { state: job.webhook.state, attempts: job.webhook.attempts, delivery: job.webhook.delivery } } : {}),
    ...(job.error ? { error: job.error } : {}),
    // Failed for now, not for good (a full disk): it resumes by itself once there is room.
    ...(failedForNow(job) ? { retryable: true } : {}),
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

/** A mailing job's options (mail=, sort=, envelope=), checked as the CLI checks them; undefined for another job. */
function mailingOf(
  query: {
    mail?: JobMailing['mail'] | undefined;
    sort?: 'postal' | undefined;
    envelope?: string | undefined;
    registered?: RegisteredKind | undefined;
    numbers?: string | undefined;
  },
  output: OutputOptions,
  layout: Layout,
  layouts: ReadonlyMap<string, Layout>,
): JobMailing | undefined {
  if (!query.mail) {
    if (query.sort || query.envelope || query.registered)
      throw new PrintError('BAD_REQUEST', 'sort=, envelope= and registered= belong to a mailing run: give mail= too');
    if (query.numbers) throw new PrintError('BAD_REQUEST', 'numbers= is the band of registered mail: give mail= and registered= too');
    return undefined;
  }
  if (query.numbers !== undefined && !query.registered)
    throw new PrintError(
      'BAD_REQUEST',
      'numbers= is the band of お問い合わせ番号 of registered mail: give registered=kani|tokutei|ippan too',
    );
  if (output.impose || output.split || output.bleed || output.color === 'press' || output.pdfvt)
    throw new PrintError(
      'BAD_REQUEST',
      'mail= makes trim A4 sheets for an inserting line: leave impose, split, bleed, color=press and pdfvt out',
    );
  if (query.envelope) getEnvelope(loadEnvelopes(), query.envelope);
  mailCarrier(layouts, layout, query.mail);
  const band = query.numbers === undefined ? undefined : bandOf(query.numbers);
  return {
    mail: query.mail,
    sort: query.sort ?? 'input',
    ...(query.envelope ? { envelope: query.envelope } : {}),
    ...(query.registered ? { registered: { kind: query.registered, ...(band ? { band } : {}) } } : {}),
  };
}

/** numbers=: a band, or a refusal of the request saying what is wrong with it. */
function bandOf(text: string): InquiryBand {
  try {
    return parseBand(text);
  } catch (err) {
    throw new PrintError('BAD_REQUEST', `numbers=: ${(err as Error).message}`);
  }
}
