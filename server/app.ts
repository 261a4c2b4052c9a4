import express, { type NextFunction, type Request, type Response } from 'express';
import { PrintError } from '../engine/index.ts';
import { sendError } from './problem.ts';
import { requestLog } from './logger.ts';
import { auth } from './auth.ts';
import type { AppContext } from './routes/app-context.ts';
import { answerError } from './routes/answer-error.ts';
import { addHealthRoutes } from './routes/health.ts';
import { addDocsRoutes } from './routes/docs.ts';
import { addRenderRoutes } from './routes/render.ts';
import { addJobRoutes } from './routes/jobs.ts';
import { addJobFileRoutes } from './routes/job-files.ts';

export type { AppContext } from './routes/app-context.ts';

/** The HTTP print service's routes (docs/spec/interfaces.md, prefix /v1). */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(ctx.log));
  app.use((_req, res, next) => {
    if (!ctx.stopping.aborted) return next();
    res.set('Connection', 'close'); // and sendError says when to come back, as for every 503
    sendError(res, new PrintError('UNAVAILABLE', 'the service is stopping; retry shortly'));
  });
  addHealthRoutes(app, ctx);
  addDocsRoutes(app);

  app.use('/v1', auth(ctx.apiKeys));
  addRenderRoutes(app, ctx);
  addJobRoutes(app, ctx);
  addJobFileRoutes(app, ctx);

  app.use((_req: Request, res: Response) => answerError(ctx, res, new PrintError('NOT_FOUND', 'no such route')));
  // Body parser errors (too large, unreadable) arrive here with their status.
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return answerError(ctx, res, new PrintError('TOO_LARGE', 'the request body exceeds the limit'));
    if (err.status === 400) return answerError(ctx, res, new PrintError('BAD_REQUEST', 'the body could not be read'));
    answerError(ctx, res, err);
  });
  return app;
}
