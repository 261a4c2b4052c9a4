import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { dataDir, readEnv } from '../config/env.ts';
import { ATTEMPT_MS } from './jobs/webhooks.ts';

/**
 * Bounds on the work one request may cause. Each is documented in the README's reliability section and
 * tested at the limit and one past it.
 */
export interface ServiceLimits {
  /** Records in one synchronous render (413 past it: larger batches are jobs). */
  syncRecords: number;
  /** Problems listed in one answer or job status; the total is always given beside them. */
  problems: number;
  /** Problems kept per rejected record of a job. */
  problemsPerRecord: number;
  /** Rejected records a job may hold before the whole input is refused as the wrong file (422). */
  jobRejectedRecords: number;
  /** Bytes of one synchronous render's body. */
  syncBodyBytes: number;
  /** Bytes of one job's body (taken in as a stream, never held whole). */
  jobBodyBytes: number;
  /** Free space the data folder keeps: below it jobs are refused (507) and /readyz says so. */
  minFreeBytes: number;
  /**
   * A job body announced longer than this is answered 202 once received, and checked afterwards (state
   * `validating`); shorter ones are checked before the answer, so an invalid one gets its 422 at once.
   */
  receiptBodyBytes: number;
  /**
   * A cluster's intake lease: the Idempotency-Key lock and an intake's body in incoming/ are renewed every
   * third of it while the intake runs, so an instance that dies leaves neither for longer than this.
   */
  intakeLeaseMs: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  syncRecords: 500,
  problems: 100,
  problemsPerRecord: 20,
  jobRejectedRecords: 10_000,
  syncBodyBytes: 2 * 1024 * 1024,
  jobBodyBytes: 512 * 1024 * 1024,
  minFreeBytes: 200 * 1024 * 1024,
  receiptBodyBytes: 16 * 1024 * 1024,
  intakeLeaseMs: 15_000,
};

/** Hours a finished job is kept before its result and manifest are deleted. */
export const DEFAULT_RETENTION_HOURS = 72;

/** One API key and the name its jobs are kept under. */
export interface ApiKey {
  name: string;
  key: string;
}

/**
 * The keys of SHIKAKU_API_KEYS: comma-separated `name:key` pairs, or plain keys (named by a short hash of
 * the key, so their jobs stay theirs across restarts and reordering). A name is letters, digits, `.`, `_`
 * or `-`; anything else before a colon is taken as part of a plain key.
 */
export function parseApiKeys(value: string | undefined): ApiKey[] {
  const keys = (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^([A-Za-z0-9._-]+):(.+)$/.exec(entry);
      if (m) return { name: m[1] as string, key: m[2] as string };
      return { name: `key-${createHash('sha256').update(entry).digest('hex').slice(0, 12)}`, key: entry };
    });
  const names = new Set<string>();
  for (const k of keys) {
    if (names.has(k.name)) throw new Error(`SHIKAKU_API_KEYS names "${k.name}" twice: every key needs its own name`);
    names.add(k.name);
  }
  return keys;
}

/** What `serve` takes from the environment, read and checked once. */
export interface EnvConfig {
  /** The Chromium binary (CHROME_PATH); /usr/bin/chromium when not set. */
  chromePath: string | undefined;
  port: number;
  apiKeys: ApiKey[];
  dataDir: string;
  shutdownGraceMs: number;
  limits: ServiceLimits;
  /** The insurer profiles folder when named (SHIKAKU_INSURERS_DIR); else `insurers/` if there is one. */
  insurersDir: string | undefined;
  /** The press's CMYK ICC profile for `color=press` (SHIKAKU_PRESS_ICC); Ghostscript's own when absent. */
  pressIcc: string | undefined;
  /** How long a finished job (its result and manifest: personal data) is kept (SHIKAKU_RETENTION_HOURS, default 72). */
  retentionMs: number;
  /**
   * Webhooks: the signing secret (SHIKAKU_WEBHOOK_SECRET), the hosts they may go to (SHIKAKU_WEBHOOK_HOSTS)
   * and the total deadline of one attempt (SHIKAKU_WEBHOOK_ATTEMPT_S, default 30 s).
   */
  webhooks: { secret: string | undefined; hosts: string[]; attemptMs: number };
  /** Scale-out (SHIKAKU_REDIS_URL): jobs through BullMQ on this Redis; undefined: the embedded queue. */
  redisUrl: string | undefined;
  /** A chunk's lease in a worker (SHIKAKU_CHUNK_LEASE_S, default 30 s). */
  chunkLeaseMs: number;
  /** Chunks of a job added to Redis in one MULTI (SHIKAKU_FLOW_STEP, default job-flow.ts FLOW_STEP). */
  flowStep: number | undefined;
}

/**
 * The service's configuration from its environment (this process's when left out), read and checked by
 * config/env.ts; a wrong value throws naming the variable.
 */
export function configFromEnv(env?: NodeJS.ProcessEnv): EnvConfig {
  const e = readEnv(env);
  return {
    chromePath: e.CHROME_PATH,
    port: e.PORT ?? 8080,
    apiKeys: parseApiKeys(e.SHIKAKU_API_KEYS),
    dataDir: dataDir(e),
    shutdownGraceMs: (e.SHIKAKU_SHUTDOWN_GRACE_S ?? 20) * 1000,
    insurersDir: e.SHIKAKU_INSURERS_DIR,
    pressIcc: e.SHIKAKU_PRESS_ICC === undefined ? undefined : resolve(e.SHIKAKU_PRESS_ICC),
    webhooks: {
      secret: e.SHIKAKU_WEBHOOK_SECRET,
      hosts: (e.SHIKAKU_WEBHOOK_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      attemptMs: (e.SHIKAKU_WEBHOOK_ATTEMPT_S ?? ATTEMPT_MS / 1000) * 1000,
    },
    redisUrl: e.SHIKAKU_REDIS_URL,
    chunkLeaseMs: (e.SHIKAKU_CHUNK_LEASE_S ?? 30) * 1000,
    flowStep: e.SHIKAKU_FLOW_STEP,
    retentionMs: Math.round((e.SHIKAKU_RETENTION_HOURS ?? DEFAULT_RETENTION_HOURS) * 3_600_000),
    limits: {
      ...DEFAULT_LIMITS,
      ...(e.SHIKAKU_MIN_FREE_MB === undefined ? {} : { minFreeBytes: e.SHIKAKU_MIN_FREE_MB * 1024 * 1024 }),
      ...(e.SHIKAKU_ACCEPT_ON_RECEIPT_KB === undefined ? {} : { receiptBodyBytes: e.SHIKAKU_ACCEPT_ON_RECEIPT_KB * 1024 }),
      ...(e.SHIKAKU_INTAKE_LEASE_S === undefined ? {} : { intakeLeaseMs: e.SHIKAKU_INTAKE_LEASE_S * 1000 }),
    },
  };
}
