import { configFromEnv } from '../server/index.ts';
import { createLogger } from '../server/logger.ts';
import { startWorker } from '../server/worker.ts';
import { intOption } from './options.ts';
import { UsageError } from './report.ts';

/**
 * `worker [--tabs N]`: prints the chunks of a cluster's jobs (SHIKAKU_REDIS_URL) on the shared data folder
 * (SHIKAKU_DATA_DIR) until SIGINT or SIGTERM; then it finishes its chunks within SHIKAKU_SHUTDOWN_GRACE_S
 * and puts back in the queue those it could not. A second signal exits at once.
 */
export async function workerCommand(values: Record<string, unknown>): Promise<number> {
  let env;
  try {
    env = configFromEnv();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
    log: createLogger(),
  });
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  const again = () => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  await worker.close();
  return 0;
}
