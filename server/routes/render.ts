import express, { type Express } from 'express';
import { getLayout, OFFICE_OUTPUT, PrintError } from '../../engine/index.ts';
import { bodyRecords } from '../jobs/intake.ts';
import { RenderQuery, queryOf } from '../api-schemas.ts';
import type { AppContext } from './app-context.ts';
import { answerError } from './answer-error.ts';
import { mediaType, outputOf } from './print-request.ts';
import { printAtCounter, type CounterRequest, type CounterResult } from '../counter-print.ts';

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

function notReady(): PrintError {
  return new PrintError('UNAVAILABLE', 'the browser is not up; retry shortly');
}

/**
 * How this instance prints a counter request: in its own engine (503 while the browser is not up), or, an
 * `--api-only` instance without a browser, on the cluster's workers.
 */
function counterPrinter(ctx: AppContext): (request: CounterRequest, signal: AbortSignal) => Promise<CounterResult> {
  const remote = ctx.counter;
  if (remote) return (request, signal) => remote.print(request, signal);
  const engine = ctx.engine();
  if (!engine?.isReady()) throw notReady();
  return (request, signal) => printAtCounter(engine, request, { signal, pressIcc: ctx.pressIcc });
}

/** What can be printed (GET /v1/layouts) and the counter print of a few records (POST /v1/render/{layout}). */
export function addRenderRoutes(app: Express, ctx: AppContext): void {
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
      const print = counterPrinter(ctx);
      const records = await syncRecords(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), ctx.limits.syncRecords);
      const png = req.accepts(['application/pdf', 'image/png']) === 'image/png';
      const output = outputOf(req);
      if (output.split !== undefined)
        throw new PrintError('REFUSED', 'split makes a ZIP of many files: post the records as a job (POST /v1/jobs?split=…)');
      if (png && JSON.stringify(output) !== JSON.stringify(OFFICE_OUTPUT)) {
        throw new PrintError(
          'BAD_REQUEST',
          'bleed, impose, duplex, order, color and pdfvt make PDFs for a print shop; ask for application/pdf, or leave them out for a PNG proof',
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
      const request: CounterRequest = {
        layout: layout.id,
        title: layout.name,
        records,
        output,
        png: png ? { page, dpi: query.dpi ?? 300, mode: query.png ?? 'proof' } : undefined,
      };
      const stop = ctx.metrics.renderSeconds.startTimer({ kind: 'sync' });
      // A client that leaves before its answer stops its render, as its time limit would.
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const result = await ctx.queue.run((signal) => print(request, signal), gone.signal);
      ctx.metrics.pages.inc({ layout: layout.id }, result.pageCount);
      stop();
      res.type(result.type).send(result.body);
    } catch (err) {
      if (res.destroyed) return void ctx.log.info({ reqId: res.locals.requestId }, 'client left; its render was stopped');
      answerError(ctx, res, err);
    }
  });
}
