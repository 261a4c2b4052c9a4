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

/** How long a stop may run past its grace (closing the browser, Redis connections) before the process exits anyway. */
export const PAST_GRACE_MS = 5_000;

/**
 * Waits for a graceful stop, at most `graceMs` + PAST_GRACE_MS: a stop that is still not done then is cut
 * (the process exits; what it held is taken over as after a crash). Answers whether it ended in time.
 */
export async function stopWithin(stop: Promise<void>, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), graceMs + PAST_GRACE_MS)));
  const inTime = await Promise.race([stop.then(() => true as const), late]);
  clearTimeout(timer);
  return inTime;
}
