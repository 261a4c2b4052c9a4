import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { PrintError } from '../engine/index.ts';

// The one place shikaku-print reads its environment: every variable it knows, checked with one schema.
// The edges (cli/, server/) take what they need from readEnv() and pass it down; no other module reads
// process.env for a setting (child processes still inherit the environment).

const wholeNumber = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);

const envSchema = z.object({
  /** The Chromium binary, when not Debian's /usr/bin/chromium. */
  CHROME_PATH: z.string().min(1).optional(),
  /** Set by CI systems: progress as plain lines, goldens never written by default. */
  CI: z.string().optional(),
  /** The date a PDF/VT file states, in seconds since 1970 (the reproducible-builds convention): engine/pdf/pdfvt-metadata.ts. */
  SOURCE_DATE_EPOCH: wholeNumber('SOURCE_DATE_EPOCH', 0, 253_402_300_799).optional(),
  PORT: wholeNumber('PORT', 0, 65535).optional(),
  SHIKAKU_API_KEYS: z.string().optional(),
  SHIKAKU_DATA_DIR: z.string().min(1).optional(),
  SHIKAKU_SHUTDOWN_GRACE_S: wholeNumber('SHIKAKU_SHUTDOWN_GRACE_S', 0, 3600).optional(),
  SHIKAKU_MIN_FREE_MB: wholeNumber('SHIKAKU_MIN_FREE_MB', 0, 10_000_000).optional(),
  SHIKAKU_INSURERS_DIR: z.string().min(1).optional(),
  SHIKAKU_RETENTION_HOURS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'SHIKAKU_RETENTION_HOURS must be a number of hours')
    .transform(Number)
    .refine((h) => h > 0 && h <= 24 * 3650, 'SHIKAKU_RETENTION_HOURS must be more than 0 and at most ten years')
    .optional(),
  SHIKAKU_WEBHOOK_SECRET: z.string().min(16, 'SHIKAKU_WEBHOOK_SECRET must be at least 16 characters').optional(),
  SHIKAKU_WEBHOOK_HOSTS: z.string().optional(),
  /** The total deadline of one webhook attempt (server/jobs/webhooks.ts), headers and body: a slow receiver is cut there. */
  SHIKAKU_WEBHOOK_ATTEMPT_S: wholeNumber('SHIKAKU_WEBHOOK_ATTEMPT_S', 1, 600).optional(),
  /** Scale-out: jobs go through BullMQ on this Redis (redis:// or rediss://), printed by `worker` processes. */
  SHIKAKU_REDIS_URL: z
    .string()
    .refine((u) => /^rediss?:\/\/[^/\s]/.test(u) && URL.canParse(u), 'SHIKAKU_REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  /** How long a worker holds a chunk without renewing its lease before another worker may take it over. */
  SHIKAKU_CHUNK_LEASE_S: wholeNumber('SHIKAKU_CHUNK_LEASE_S', 5, 600).optional(),
  /** A job body longer than this (Content-Length, KiB) is answered 202 on receipt and checked afterwards. */
  SHIKAKU_ACCEPT_ON_RECEIPT_KB: wholeNumber('SHIKAKU_ACCEPT_ON_RECEIPT_KB', 1, 1_048_576).optional(),
  /** A cluster's intake lease: an Idempotency-Key lock and a body in incoming/ outlive a dead instance this long. */
  SHIKAKU_INTAKE_LEASE_S: wholeNumber('SHIKAKU_INTAKE_LEASE_S', 2, 120).optional(),
  /** Chunks of a job added to Redis in one MULTI; a job of more goes in steps (server/jobs/redis/job-flow.ts). */
  SHIKAKU_FLOW_STEP: wholeNumber('SHIKAKU_FLOW_STEP', 1, 10_000).optional(),
  /**
   * Tests only, never in production: appended to the build a worker announces (its Chromium and fonts), so
   * that a test can run workers of two builds on one machine (server/jobs/redis/workers.ts).
   */
  SHIKAKU_TEST_BUILD_SUFFIX: z.string().max(40).optional(),
  SHIKAKU_PRESS_ICC: z
    .string()
    .min(1)
    .refine((p) => existsSync(p), 'SHIKAKU_PRESS_ICC must name an ICC profile file that exists')
    .optional(),
});

/** The environment as shikaku-print reads it, checked. */
export type Env = z.infer<typeof envSchema>;

/** What the commands other than `serve` read: only these are checked for them (a stale service setting never stops a render). */
const toolSchema = envSchema.pick({ CHROME_PATH: true, CI: true, SHIKAKU_DATA_DIR: true, SOURCE_DATE_EPOCH: true });

/** The environment as a command other than `serve` reads it. */
export type ToolEnv = z.infer<typeof toolSchema>;

/** `schema` over the environment: a variable set to the empty string counts as not set; a wrong one is a SETUP error naming it. */
function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data;
  const said = parsed.error.issues.map((i) => {
    const name = i.path.join('.');
    return i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
  });
  throw new PrintError('SETUP', `invalid environment: ${said.join('; ')}`);
}

/** Reads and checks the service's environment (this process's when left out). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  return parse(envSchema, env);
}

/** Reads and checks what every command reads: the Chromium binary, CI, the data folder (registered mail's numbers). */
export function readToolEnv(env: NodeJS.ProcessEnv = process.env): ToolEnv {
  return parse(toolSchema, env);
}

/** Whether this runs under CI (CI set to anything but "0" or "false"). */
export function inCi(env: ToolEnv = readToolEnv()): boolean {
  return env.CI !== undefined && env.CI !== '0' && env.CI !== 'false';
}

/** The data folder: SHIKAKU_DATA_DIR, else `data/` in the working folder (the CLI's and the service's alike). */
export function dataDir(env: Pick<ToolEnv, 'SHIKAKU_DATA_DIR'> = readToolEnv()): string {
  return resolve(env.SHIKAKU_DATA_DIR ?? 'data');
}

/** SOURCE_DATE_EPOCH as a date, when set: what a PDF/VT file states as its creation and modification date. */
export function sourceDate(env: Pick<ToolEnv, 'SOURCE_DATE_EPOCH'> = readToolEnv()): Date | undefined {
  return env.SOURCE_DATE_EPOCH === undefined ? undefined : new Date(env.SOURCE_DATE_EPOCH * 1000);
}
