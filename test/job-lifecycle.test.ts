// The one failure-text rule of batch jobs (server/jobs/lifecycle.ts), without a browser or a process: what a
// client reads when a job fails, and that both ways of running jobs (the embedded runner, the workers of a
// cluster) leave it to the lifecycle instead of writing their own.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { PrintError, loadLayouts, type Engine } from '../engine/index.ts';
import { createMetrics } from '../server/metrics.ts';
import { DiskSpace } from '../server/jobs/disk-space.ts';
import type { Job } from '../server/jobs/job-model.ts';
import { JobRunner } from '../server/jobs/job-runner.ts';
import { JobStore } from '../server/jobs/job-store.ts';
import { JobLifecycle, failureReason, failureText, inStep } from '../server/jobs/lifecycle.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const log = pino({ level: 'silent' });
const layouts = loadLayouts();
/** A value of a record: it must never reach a job's failure text. */
const NAME = '山田 太郎';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An error a missing file gives (a chunk's input removed from under the job), with its path in the message. */
function missingFile(): unknown {
  try {
    readFileSync(join(tmpdir(), `no-such-chunk-${process.pid}`, '000002.json'));
  } catch (err) {
    return err;
  }
  throw new Error('the file is there');
}

describe('the failure text a client reads', () => {
  it('names the code and the message of a failure made of the service’s own facts, its first line only', () => {
    const err = new PrintError('RENDER', 'Chromium failed 2 times on one chunk: Target closed\nCall log:\n  - navigating');
    expect(failureText(err, { chunk: 0 })).toBe(
      'chunk 1 could not be printed: RENDER: Chromium failed 2 times on one chunk: Target closed',
    );
    expect(failureText(new PrintError('SETUP', 'Ghostscript not found at /usr/bin/gs'))).toBe(
      'SETUP: Ghostscript not found at /usr/bin/gs',
    );
  });

  it('gives only the code of a failure whose message may quote what was received', () => {
    const err = new PrintError('INVALID_INPUT', `name expects katakana, not "${NAME}"`);
    expect(failureText(err, { chunk: 4 })).toBe('chunk 5 could not be printed: INVALID_INPUT');
    expect(failureText(new PrintError('BAD_REQUEST', `impose expects a4, not "${NAME}"`), 'assembly')).toBe(
      'the job could not be assembled: BAD_REQUEST',
    );
  });

  it('says internal error for anything not a PrintError: never its message, its path or its stack', () => {
    const syntax = (() => {
      try {
        JSON.parse(`[{"name": "${NAME}"`);
      } catch (err) {
        return err;
      }
    })();
    expect(failureText(syntax, { chunk: 0 })).toBe('chunk 1 could not be printed: internal error');
    // The case the cluster's test meets: a chunk whose input is gone (test/scale-out.test.ts).
    expect(failureText(missingFile(), { chunk: 2 })).toBe('chunk 3 could not be printed: internal error');
    expect(failureReason(new Error(`at render (${NAME})`))).toBe('internal error');
  });

  it('tells a failure wrapped by its step where it happened, and a full disk by its room, retryable', async () => {
    const store = new JobStore(mkdtempSync(join(tmpdir(), 'shikaku-lifecycle-')));
    dirs.push(store.dataDir);
    const life = new JobLifecycle({
      store,
      layouts,
      disk: new DiskSpace(store.dataDir, 0),
      metrics: createMetrics(),
      log,
      problemsShown: 100,
    });
    const job = { id: 'x', layout: 'kokuho-card', total: 10, done: 0, rejected: 0, output: {} } as unknown as Job;
    const step = await inStep({ chunk: 6 }, () => Promise.reject(new PrintError('RENDER', 'a chunk printed 3 pages, expected 4'))).catch(
      (e: unknown) => e,
    );
    expect(life.failure(job, step)).toEqual({
      error: 'chunk 7 could not be printed: RENDER: a chunk printed 3 pages, expected 4',
      code: 'RENDER',
    });
    const full = new PrintError('DISK_FULL', 'disk full: 3 MB free, 250 MB needed');
    expect(life.failure(job, await inStep({ chunk: 0 }, () => Promise.reject(full)).catch((e: unknown) => e))).toEqual({
      error: 'disk full: 3 MB free, 250 MB needed',
      code: 'DISK_FULL',
      retryable: true,
    });
  });
});

describe('the embedded runner', () => {
  /** A committed job of one chunk of one record, and a runner whose engine (no browser) fails as `render` does. */
  async function runFailing(render: () => Promise<never>, o: { dropInput?: boolean } = {}) {
    const store = new JobStore(mkdtempSync(join(tmpdir(), 'shikaku-lifecycle-')));
    dirs.push(store.dataDir);
    const { id, dir } = store.beginIntake();
    writeFileSync(join(dir, 'input', '000000.json'), JSON.stringify([[0, { name: NAME }]]));
    const now = new Date().toISOString();
    const job: Job = {
      ...{ id, owner: 'local', layout: 'kokuho-card', state: 'queued', createdAt: now, updatedAt: now },
      ...{ total: 1, done: 0, chunks: 1, rejected: 0, rejectionCount: 0, rejections: [] },
    };
    await store.commitIntake(job);
    if (o.dropInput) rmSync(join(store.root, id, 'input', '000000.json'));
    const engine = { layouts, renderPdf: render } as unknown as Engine;
    const ended: string[] = [];
    const runner = new JobRunner({
      ...{ store, layouts, engine: () => engine, disk: new DiskSpace(store.dataDir, 0), metrics: createMetrics(), log, problemsShown: 100 },
      onEnding: (j) => ended.push(`ending ${j.state}: ${j.error}`),
      onEnd: (j) => ended.push(`end ${j.state}`),
    });
    runner.enqueue(id);
    for (let waited = 0; store.get(id)?.state !== 'failed' && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    const failed = JSON.parse(readFileSync(join(store.root, id, 'job.json'), 'utf8')) as Job;
    return { failed, ended };
  }

  it('fails a job in the lifecycle’s words, naming the chunk and never the value, and ends it once', async () => {
    const err = new PrintError('INVALID_INPUT', `name expects katakana, not "${NAME}"`);
    const { failed, ended } = await runFailing(() => Promise.reject(err));
    expect(failed).toMatchObject({ state: 'failed', error: failureText(err, { chunk: 0 }) });
    expect(failed.error).toBe('chunk 1 could not be printed: INVALID_INPUT');
    expect(failed.retryable).toBeUndefined();
    expect(ended).toEqual(['ending failed: chunk 1 could not be printed: INVALID_INPUT', 'end failed']);
  });

  it('fails a job whose chunk input is gone as the cluster does: internal error, the path untold', async () => {
    const { failed } = await runFailing(() => Promise.reject(new Error('not printed')), { dropInput: true });
    expect(failed).toMatchObject({ state: 'failed', error: 'chunk 1 could not be printed: internal error' });
  });
});

describe('the ways of running jobs', () => {
  const adapters = ['server/jobs/job-runner.ts', 'server/jobs/redis/workers.ts'];
  /** Wording of a failure, or a code or a message put into one: the lifecycle's alone. */
  const OWN_WORDING = [
    /could not be (printed|assembled)/,
    /internal error/,
    /\$\{[^}]*\.code\}/,
    /\$\{[^}]*\.message\}/,
    /\.error\s*=[^=]/,
    /stopped while|could not recover/,
  ];

  it.each(adapters)('%s leaves a job’s failure text to lifecycle.ts', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(OWN_WORDING.filter((w) => w.test(text)).map(String)).toEqual([]);
    expect(text).toMatch(/from '\.{1,2}\/lifecycle\.ts'/);
    expect(text).toMatch(/\.end\(/);
  });

  it('the workers tell a chunk’s and an assembly’s failure by the rule', () => {
    const text = readFileSync(join(root, 'server/jobs/redis/workers.ts'), 'utf8');
    expect(text).toMatch(/new Error\(failureText\(err, \{ chunk: n \}\)\)/);
    expect(text).toMatch(/life\.failure\(job, err, 'assembly'\)/);
  });
});
