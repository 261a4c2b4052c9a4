import { startServer } from '../server/index.ts';
import { createLogger } from '../server/logger.ts';
import { intOption } from './options.ts';
import { UsageError } from './report.ts';
import { serviceEnv, stopWithin, untilStopped } from './service-run.ts';

/**
 * `serve`: the print service on PORT (default 8080) until SIGINT or SIGTERM, then a graceful stop within
 * SHIKAKU_SHUTDOWN_GRACE_S. A second signal during the stop exits at once, and so does a stop still
 * running a few seconds past its grace (exit 1). A service that cannot start (a held data folder, a wrong
 * setting) exits non-zero instead of lingering. `--api-only` (a cluster's API instance) starts no browser:
 * counter prints go to the workers.
 */
export async function serveCommand(values: Record<string, unknown>): Promise<number> {
  const env = serviceEnv();
  const log = createLogger();
  const port = intOption(values, 'port', 0, 65535) ?? env.port;
  const host = typeof values.host === 'string' ? values.host : undefined;
  const apiOnly = values['api-only'] === true;
  if (apiOnly && env.redisUrl === undefined)
    throw new UsageError('serve --api-only needs SHIKAKU_REDIS_URL: its counter prints go to the workers of a cluster on Redis');
  const service = await startServer({
    log,
    port,
    ...(host ? { host } : {}),
    apiKeys: env.apiKeys,
    dataDir: env.dataDir,
    shutdownGraceMs: env.shutdownGraceMs,
    limits: env.limits,
    engine: { insurersDir: env.insurersDir, chromePath: env.chromePath },
    pressIcc: env.pressIcc,
    retentionMs: env.retentionMs,
    webhooks: env.webhooks,
    redisUrl: env.redisUrl,
    leaseMs: env.chunkLeaseMs,
    flowStep: env.flowStep,
    apiOnly,
  });
  // A service whose engine cannot start (no Chromium, a font that differs) could never print: it stops
  // and says so (the cause is in the log) instead of answering /healthz with nothing behind it.
  const ended = await untilStopped(service.engineStarted.then((up) => (up ? new Promise<never>(() => undefined) : ('no engine' as const))));
  if (!(await stopWithin(service.close(), env.shutdownGraceMs))) {
    log.error({ graceMs: env.shutdownGraceMs }, 'the stop ran past its grace: exiting without waiting for it');
    return 1;
  }
  return ended === 'no engine' ? 1 : 0;
}
