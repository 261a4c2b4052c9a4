import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirPrivate, writeDurable } from './durable-file.ts';
import { chunkInputPath, chunkName, intakeRejectionsPath } from './job-folder.ts';
import { ANY_OWNER, type Job, type Rejection } from './job-model.ts';

/** A job.json as the first version wrote it: a `plan` of record positions per chunk, the input in records.json. */
type FirstVersionJob = { id?: string; plan?: number[][]; rejections?: Rejection[]; done?: number; state?: Job['state'] } & Partial<Job>;

/**
 * Brings a job written by the first version (job.json with a `plan` of record positions per chunk and the
 * input as records.json) into this format, so an upgrade loses no job in progress: each chunk's records go
 * to input/, a chunk already printed gets its meta, the problems go to rejections.ndjson, and records.json
 * is removed. Answers whether the folder `dir` of job `id` held such a job. Its owner is ANY_OWNER: every
 * key sees it, as every key did then.
 */
export async function migrateFirstVersionJob(dir: string, id: string): Promise<boolean> {
  let old: FirstVersionJob;
  try {
    old = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as FirstVersionJob;
  } catch {
    return false;
  }
  if (old.id !== id || !Array.isArray(old.plan) || typeof old.layout !== 'string') return false;
  const rejections = old.rejections ?? [];
  if (old.state !== 'done') {
    const records = JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as unknown[];
    mkdirPrivate(join(dir, 'input'));
    mkdirPrivate(join(dir, 'chunks'));
    for (const [n, indices] of old.plan.entries()) {
      await writeDurable(chunkInputPath(dir, n), JSON.stringify(indices.map((i) => [i, records[i]])));
      if (existsSync(join(dir, 'chunks', `${chunkName(n)}.pdf`)))
        await writeDurable(join(dir, 'chunks', `${chunkName(n)}.json`), JSON.stringify({ printed: indices, rejections: [] }));
    }
    await writeDurable(intakeRejectionsPath(dir), rejections.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  const job: Job = {
    id,
    owner: ANY_OWNER,
    layout: old.layout,
    state: old.state ?? 'queued',
    createdAt: old.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    total: old.total ?? 0,
    done: old.done ?? 0,
    chunks: old.plan.length,
    rejected: new Set(rejections.map((r) => r.record)).size,
    rejectionCount: rejections.length,
    rejections: rejections.slice(0, 100),
    ...(old.error ? { error: old.error } : {}),
  };
  await writeDurable(join(dir, 'job.json'), JSON.stringify(job));
  rmSync(join(dir, 'records.json'), { force: true });
  return true;
}
