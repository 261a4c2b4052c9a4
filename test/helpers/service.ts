// Starts the print service on a loopback port for a test, with its log captured.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startServer, type RunningService, type ServeOptions } from '../../server/index.ts';
import { createLogger } from '../../server/logger.ts';

export interface TestService extends RunningService {
  base: string;
  logLines: string[];
  dataDir: string;
}

/** A service on 127.0.0.1 with API key `test-key`; waits until it is ready unless told not to. */
export async function startTestService(options: Partial<ServeOptions> = {}, waitReady = true): Promise<TestService> {
  const logLines: string[] = [];
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'shikaku-data-'));
  const service = await startServer({
    port: 0,
    host: '127.0.0.1',
    apiKeys: ['test-key'],
    dataDir,
    log: createLogger({ write: (line: string) => void logLines.push(line) }),
    ...options,
  });
  const base = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
  if (waitReady) {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
      if (i > 150) throw new Error('service never became ready');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { ...service, base, logLines, dataDir };
}

export const AUTH = { authorization: 'Bearer test-key' };

/** AUTH with a JSON body. */
export const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

/** The kokuho-card samples. */
export const KOKUHO_SAMPLES = JSON.parse(
  readFileSync(new URL('../../layouts/kokuho-card/samples.json', import.meta.url), 'utf8'),
) as Record<string, unknown>[];

/** `n` kokuho-card records made from the samples, numbered 番号 0000001, 0000002 … */
export const kokuhoRecords = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...KOKUHO_SAMPLES[i % KOKUHO_SAMPLES.length], number: String(i + 1).padStart(7, '0') }));

/** Posts `n` kokuho-card records as a job (checked before its answer): answers its id; throws unless 202. */
export async function postKokuhoJob(base: string, n: number): Promise<string> {
  const res = await fetch(`${base}/v1/jobs?layout=kokuho-card`, {
    method: 'POST',
    headers: JSON_AUTH,
    body: JSON.stringify(kokuhoRecords(n)),
  });
  if (res.status !== 202) throw new Error(`job not taken in: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Polls a job until it is done or failed. */
export async function waitForJob(
  base: string,
  id: string,
  timeoutMs = 120_000,
): Promise<{
  state: string;
  progress: { done: number; total: number; rejected: number };
  rejections: { record: number; path: string; message: string }[];
}> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers: AUTH })).json()) as {
      state: string;
      progress: { done: number; total: number; rejected: number };
      rejections: { record: number; path: string; message: string }[];
    };
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
