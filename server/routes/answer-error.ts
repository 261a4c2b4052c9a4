import type { Response } from 'express';
import { PrintError } from '../../engine/index.ts';
import { sendError } from '../problem.ts';
import type { AppContext } from './app-context.ts';

const REASONS: Record<number, string> = {
  400: 'invalid',
  413: 'too_large',
  422: 'invalid',
  429: 'queue_full',
  503: 'unavailable',
  507: 'disk_full',
};

/** Answers an error, counts it, and logs what the operator needs: codes and causes, never record values. */
export function answerError(ctx: AppContext, res: Response, err: unknown): void {
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
