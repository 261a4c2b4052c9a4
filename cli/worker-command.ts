import { readEnv } from '../config/env.ts';
import { createLogger } from '../server/logger.ts';
import { startWorker } from '../server/worker.ts';
import { intOption } from './options.ts';
import { UsageError } from './report.ts';
import { serviceEnv, stopWithin, untilStopped } from './service-run.ts';

/**
 * `worker [--tabs N]`: prints the chunks of a cluster's jobs (SHIKAKU_REDIS_URL) on the shared data folder
 * (SHIKAKU_DATA_DIR) until SIGINT or SIGTERM; then it finishes its chunks within SHIKAKU_SHUTDOWN_GRACE_S
 * and puts back in the queue those it could not. A second signal exits at once, and so does a stop still
 * running a few seconds past its grace (exit 1).
 */
export async function workerCommand(values: Record<string, unknown>): Promise<number> {
  const env = serviceEnv();
  const log = createLogger();
  if (env.redisUrl === undefined)
    throw new UsageError('worker needs SHIKAKU_REDIS_URL: the Redis its cluster shares (serve without it prints jobs itself)');
  const tabs = intOption(values, 'tabs', 1, 16) ?? 2;
  const worker = await startWorker({
    redisUrl: env.redisUrl,
    dataDir: env.dataDir,
    tabs,
    leaseMs: env.chunkLeaseMs,
    shutdownGraceMs: env.shutdownGraceMs,
    retentionMs: env.retentionMs,
    limits: env.limits,
    webhooks: env.webhooks,
    pressIcc: env.pressIcc,
    engine: { insurersDir: env.insurersDir, chromePath: env.chromePath },
    buildSuffix: readEnv().SHIKAKU_TEST_BUILD_SUFFIX,
    log,
  });
  await untilStopped();
  if (!(await stopWithin(worker.close(), env.shutdownGraceMs))) {
    log.error({ graceMs: env.shutdownGraceMs }, 'the stop ran past its grace: exiting without waiting for it');
    return 1;
  }
  return 0;
}
