import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A record a job did not print, and why. */
export interface Rejection {
  record: number;
  path: string;
  message: string;
}

/** A batch job as stored in `<data>/jobs/<id>/job.json`. */
export interface Job {
  id: string;
  layout: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  createdAt: string;
  updatedAt: string;
  total: number;
  /** Records printed so far. */
  done: number;
  /** 0-based indices of the records of each chunk, in print order; valid records only. */
  plan: number[][];
  rejections: Rejection[];
  error?: string;
}

const ID = /^[0-9a-f]{24}$/;

/** Records per chunk of a job: one engine document, kept on disk once printed. */
export const JOB_CHUNK_RECORDS = 100;

/**
 * Jobs on disk: `<data>/jobs/<id>/` holds job.json, records.json (the input, as received), chunks/<n>.pdf
 * as they are printed, then result.pdf and manifest.json. Every file is written aside and renamed, so a
 * crash or restart never leaves a half-written one; a job accepted is on disk before it is answered.
 */
export class JobStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'jobs');
    mkdirSync(this.root, { recursive: true });
  }

  /** Writes a new job and its records, planning the valid ones (0-based positions) into chunks; answers the job. */
  create(layout: string, records: unknown[], valid: number[], rejections: Rejection[]): Job {
    const plan: number[][] = [];
    for (let i = 0; i < valid.length; i += JOB_CHUNK_RECORDS) plan.push(valid.slice(i, i + JOB_CHUNK_RECORDS));
    const id = randomBytes(12).toString('hex');
    const now = new Date().toISOString();
    const job: Job = { id, layout, state: 'queued', createdAt: now, updatedAt: now, total: records.length, done: 0, plan, rejections };
    mkdirSync(join(this.dir(id), 'chunks'), { recursive: true });
    this.writeFile(id, 'records.json', JSON.stringify(records));
    this.save(job);
    return job;
  }

  /** The job with `id`, or undefined. */
  get(id: string): Job | undefined {
    if (!ID.test(id) || !existsSync(join(this.dir(id), 'job.json'))) return undefined;
    return JSON.parse(readFileSync(join(this.dir(id), 'job.json'), 'utf8')) as Job;
  }

  /** Jobs not finished, oldest first: what the runner resumes after a restart. */
  unfinished(): Job[] {
    return readdirSync(this.root)
      .map((id) => this.get(id))
      .filter((j): j is Job => j !== undefined && (j.state === 'queued' || j.state === 'running'))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  save(job: Job): void {
    job.updatedAt = new Date().toISOString();
    this.writeFile(job.id, 'job.json', JSON.stringify(job));
  }

  records(id: string): unknown[] {
    return JSON.parse(readFileSync(join(this.dir(id), 'records.json'), 'utf8')) as unknown[];
  }

  chunkPath(id: string, n: number): string {
    return join(this.dir(id), 'chunks', `${String(n).padStart(6, '0')}.pdf`);
  }

  /** Removes the printed chunks of a finished job. */
  dropChunks(id: string): void {
    rmSync(join(this.dir(id), 'chunks'), { recursive: true, force: true });
  }

  resultPath(id: string): string {
    return join(this.dir(id), 'result.pdf');
  }

  manifestPath(id: string): string {
    return join(this.dir(id), 'manifest.json');
  }

  /** Writes `name` in the job's folder by rename. */
  writeFile(id: string, name: string, data: string | Uint8Array): void {
    const path = join(this.dir(id), name);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  }

  private dir(id: string): string {
    return join(this.root, id);
  }
}
