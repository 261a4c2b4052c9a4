import express, { type NextFunction, type Request, type Response } from 'express';
import { timingSafeEqual, createHash } from 'node:crypto';
import { rasterizePdf, getLayout, type Engine, type Layout } from '../engine/index.ts';
import { sendError, sendProblem } from './problem.ts';

/** What the app needs: the engine once it is up (undefined while it starts or after it failed), and keys. */
export interface AppContext {
  engine: () => Engine | undefined;
  layouts: Map<string, Layout>;
  apiKeys: readonly string[];
  bodyLimit: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer-key check in constant time; every route but the probes needs it when keys are set. */
function auth(keys: readonly string[]) {
  const wanted = keys.map(digest);
  return (req: Request, res: Response, next: NextFunction) => {
    if (wanted.length === 0) return next();
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = digest(m?.[1] ?? '');
    if (m && wanted.some((w) => timingSafeEqual(w, given))) return next();
    res.set('WWW-Authenticate', 'Bearer');
    sendProblem(res, 401, 'Unauthorized', 'missing or wrong API key (Authorization: Bearer KEY)');
  };
}

/** The HTTP print service's routes (interfaces.md, prefix /v1). */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    const ready = ctx.engine() !== undefined;
    res.status(ready ? 200 : 503).json({ ready });
  });

  app.use('/v1', auth(ctx.apiKeys));
  app.get('/v1/layouts', (_req, res) => {
    res.json([...ctx.layouts.values()].map((l) => ({ id: l.id, name: l.name, page: l.page, sides: l.sides.map((s) => s.id), required: l.required })));
  });
  app.post('/v1/render/:layout', express.json({ limit: ctx.bodyLimit, type: ['application/json', 'application/*+json'] }), async (req, res) => {
    try {
      const layout = getLayout(ctx.layouts, String(req.params.layout));
      const engine = ctx.engine();
      if (!engine) return sendProblem(res, 503, 'Not ready', 'the browser is not up yet; retry shortly');
      const records: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
      const result = await engine.renderPdf(layout.id, records);
      if (req.accepts(['application/pdf', 'image/png']) === 'image/png') {
        const page = Number(req.query.page ?? 1);
        if (!Number.isInteger(page) || page < 1 || page > result.pageCount) {
          return sendProblem(res, 400, 'Bad page', `page must be a whole number from 1 to ${result.pageCount}`);
        }
        const pngs = await rasterizePdf(result.pdf, result.pageCount, layout.page, 300);
        return void res.type('image/png').send(pngs[page - 1]);
      }
      res.type('application/pdf').send(Buffer.from(result.pdf));
    } catch (err) {
      sendError(res, err);
    }
  });

  app.use((_req: Request, res: Response) => sendProblem(res, 404, 'Not found', 'no such route'));
  // Body parser errors (too large, malformed JSON) arrive here with their status.
  app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return sendProblem(res, 413, 'Body too large', `the request body exceeds ${ctx.bodyLimit}`);
    if (err.status === 400) return sendProblem(res, 400, 'Malformed body', 'the body is not valid JSON');
    sendProblem(res, 500, 'Internal error', 'unexpected failure');
  });
  return app;
}
