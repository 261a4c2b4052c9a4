// `serve --api-only` started as an operator starts a cluster's API instance (no browser), for the tests.
import { startCliProcess } from '../../cli/cli-process.ts';
import type { ServiceProcess } from './processes.ts';

/** `shikaku-print serve --api-only` on a loopback port of `dataDir`, with `env` added; waited for until it listens. */
export async function startApiOnly(dataDir: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const proc = startCliProcess(['serve', '--api-only', '--port', '0', '--host', '127.0.0.1'], {
    ...process.env,
    SHIKAKU_DATA_DIR: dataDir,
    ...env,
  });
  const port = ((await proc.first((e) => e.msg === 'listening')) as { port: number }).port;
  return { ...proc, pid: proc.child.pid!, base: `http://127.0.0.1:${port}` };
}

/** Polls `base`/readyz until it answers 200 (or `ms` pass); answers the last answer's status and body. */
export async function readyz(base: string, ms = 10_000): Promise<{ status: number; body: unknown }> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    const body: unknown = await res?.json().catch(() => undefined);
    if (res?.status === 200 || Date.now() > until) return { status: res?.status ?? 0, body };
    await new Promise((r) => setTimeout(r, 100));
  }
}
