import { configFromEnv } from '../server/index.ts';
import type { EnvConfig } from '../server/config.ts';
import { UsageError } from './report.ts';

/** The service's environment (serve, worker), read and checked: a wrong variable is a usage error naming it. */
export function serviceEnv(): EnvConfig {
  try {
    return configFromEnv();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Waits for SIGINT or SIGTERM, or for `early` to settle first; from then on a second signal exits at once
 * (130 after SIGINT, else 143) while the caller stops gracefully. Answers what ended the wait.
 */
export async function untilStopped<T>(early: Promise<T> = new Promise<never>(() => undefined)): Promise<NodeJS.Signals | T> {
  const ended = await new Promise<NodeJS.Signals | T>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    void early.then(done);
  });
  const again = () => process.exit(ended === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  return ended;
}
