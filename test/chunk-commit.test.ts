// Exactly once on a shared folder, without Chromium: a chunk printed twice at once commits whole files of
// one print, and assembly refuses chunk outputs that do not account for every record exactly once.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPartition } from '../server/jobs/chunk-work.ts';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';

function jobIn(store: JobStore): Job {
  const { id } = store.beginIntake();
  return {
    id,
    owner: 'test',
    layout: 'kokuho-card',
    state: 'queued',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    total: 4,
    done: 0,
    chunks: 1,
    rejected: 0,
    rejectionCount: 0,
    rejections: [],
  };
}

describe('committing a chunk', () => {
  it('two prints of one chunk written at once leave a meta that names the PDF of its own print', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-commit-'));
    try {
      const store = new JobStore(dataDir, { shared: true });
      const job = jobIn(store);
      await store.commitIntake(job);
      const a = { printed: [0, 1], keys: ['a0', 'a1'], rejections: [] };
      const b = { printed: [0, 1], keys: ['b0', 'b1'], rejections: [] };
      for (let round = 0; round < 20; round++) {
        await Promise.all([
          store.writeChunk(job.id, 0, Buffer.from('%PDF of print A'), a),
          store.writeChunk(job.id, 0, Buffer.from('%PDF of print B'), b),
        ]);
        const meta = store.chunkMeta(job.id, 0);
        const pdf = readFileSync(store.chunkPdfPath(job.id, 0), 'utf8');
        expect(pdf).toBe(meta.keys?.[0] === 'a0' ? '%PDF of print A' : '%PDF of print B');
        expect(store.chunkPrinted(job.id, 0)).toBe(true);
      }
      // No temp file is left, and each print's PDF has its own name.
      const files = readdirSync(join(dataDir, 'jobs', job.id, 'chunks'));
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(files.filter((f) => f.endsWith('.pdf')).length).toBe(40);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never brings back the folder of a job deleted while its chunk printed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-commit-'));
    try {
      const store = new JobStore(dataDir, { shared: true });
      const job = jobIn(store);
      await store.commitIntake(job);
      store.delete(job.id);
      await expect(store.writeChunk(job.id, 0, Buffer.from('%PDF'), { printed: [0], rejections: [] })).rejects.toThrow(/ENOENT/);
      expect(readdirSync(join(dataDir, 'jobs'))).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the partition check before assembly', () => {
  const rejected = (record: number) => ({ record, path: 'name', message: 'x' });
  it('passes when every record is printed or rejected exactly once', () => {
    expect(() => checkPartition(5, [0, 1, 3], [rejected(3), rejected(3), rejected(5)])).not.toThrow();
  });
  it('refuses a record printed twice, one missing, one printed and rejected, and one out of the job', () => {
    expect(() => checkPartition(3, [0, 1, 1, 2], [])).toThrow(/record 2 is accounted for twice/);
    expect(() => checkPartition(3, [0, 2], [])).toThrow(/record 2 is neither printed nor rejected/);
    expect(() => checkPartition(3, [0, 1, 2], [rejected(2)])).toThrow(/record 2 is accounted for twice/);
    expect(() => checkPartition(3, [0, 1, 3], [])).toThrow(/record 4 is not in the job/);
  });
});
