import { existsSync } from 'node:fs';
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
  SHIKAKU_PRESS_ICC: z
    .string()
    .min(1)
    .refine((p) => existsSync(p), 'SHIKAKU_PRESS_ICC must name an ICC profile file that exists')
    .optional(),
});

/** The environment as shikaku-print reads it, checked. */
export type Env = z.infer<typeof envSchema>;

/** Reads and checks the environment (this process's when left out); a wrong value is a SETUP error naming it. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new PrintError('SETUP', `invalid environment: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** Whether this runs under CI (CI set to anything but an empty string, "0" or "false"). */
export function inCi(env: Env = readEnv()): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI !== 'false';
}
