// The intake folders of a shared data folder, without processes: an instance's sweep drops another's intake
// once its lease has stood still for a whole lease, fails a job that was answered 202 and being checked, and
// leaves live intakes alone; alone on its folder, a start fails a check the last run left unfinished.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';

const LEASE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});
const dataFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-leases-'));
  folders.push(dir);
  return dir;
};

/** A job answered 202 on receipt, its body received whole and not yet checked. */
async function received(store: JobStore): Promise<Job> {
  const { id } = store.beginIntake();
  writeFileSync(store.receivedBodyPath(id), '[{"name":"山田 太郎"}]');
  const now = new Date().toISOString();
  const job: Job = {
    ...{ id, owner: 'test', layout: 'kokuho-card', state: 'validating', createdAt: now, updatedAt: now },
    ...{ total: 0, done: 0, chunks: 0, rejected: 0, rejectionCount: 0, rejections: [] },
  };
  await store.saveReceived(job);
  return job;
}

/** An intake folder as an instance that died left it: a lease that no longer changes. */
function deadIntake(dataDir: string, id: string): void {
  mkdirSync(join(dataDir, 'incoming', id, 'input'), { recursive: true });
  writeFileSync(join(dataDir, 'incoming', id, 'lease'), 'last words');
  writeFileSync(join(dataDir, 'incoming', id, 'input', '000000.json'), '[[0,{"name":"山田 太郎"}]]');
}

describe('a shared folder’s intakes', () => {
  it('an intake whose lease stood still for a whole lease is dropped by another instance; a live one is left alone', async () => {
    const dataDir = dataFolder();
    const alive = new JobStore(dataDir, { shared: true, leaseMs: LEASE_MS });
    const sweeper = new JobStore(dataDir, { shared: true, leaseMs: LEASE_MS });
    const live = alive.beginIntake();
    deadIntake(dataDir, 'a'.repeat(24));
    expect(await sweeper.sweepIncoming({ olderThanMs: 3_600_000 })).toEqual({ dropped: 0, failed: [] });
    await sleep(LEASE_MS / 2);
    expect((await sweeper.sweepIncoming({ olderThanMs: 3_600_000 })).dropped).toBe(0);
    await sleep(LEASE_MS / 2 + 50);
    expect((await sweeper.sweepIncoming({ olderThanMs: 3_600_000 })).dropped).toBe(1);
    expect(readdirSync(join(dataDir, 'incoming'))).toEqual([live.id]);
    // Its own intakes a sweep never touches, whatever their lease says.
    await sleep(LEASE_MS + 50);
    expect(await alive.sweepIncoming({ olderThanMs: 0 })).toEqual({ dropped: 0, failed: [] });
    alive.abortIntake(live.id);
  });

  it('a job answered 202 whose checking instance died ends failed, its body gone, seen as validating until then', async () => {
    const dataDir = dataFolder();
    const dying = new JobStore(dataDir, { shared: true, leaseMs: LEASE_MS });
    const other = new JobStore(dataDir, { shared: true, leaseMs: LEASE_MS });
    const job = await received(dying);
    expect(other.get(job.id)).toMatchObject({ state: 'validating' });
    expect(other.list('test').map((j) => j.id)).toEqual([job.id]);
    // The instance dies: its lease is no longer renewed (its timer stops with it).
    (dying as unknown as { beats: Map<string, NodeJS.Timeout> }).beats.forEach((t) => clearInterval(t));
    await other.sweepIncoming({ olderThanMs: 3_600_000 });
    await sleep(LEASE_MS + 50);
    const ended: string[] = [];
    const swept = await other.sweepIncoming({ olderThanMs: 3_600_000, ending: (j) => void ended.push(j.id) });
    expect(swept.failed.map((j) => j.id)).toEqual([job.id]);
    expect(ended).toEqual([job.id]);
    expect(other.get(job.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('stopped before it finished') });
    expect(readdirSync(join(dataDir, 'incoming'))).toEqual([]);
    expect(readdirSync(join(dataDir, 'jobs', job.id))).toEqual(['job.json']);
  });
});

describe('a folder of its own', () => {
  it('a start fails a job whose check the last run left unfinished, and drops bodies never answered', async () => {
    const dataDir = dataFolder();
    const before = new JobStore(dataDir);
    const job = await received(before);
    const unanswered = before.beginIntake();
    const stopped: string[] = [];
    const repaired = await new JobStore(dataDir).recover({ stoppedCheck: (j) => void stopped.push(j.id) });
    expect(repaired.stoppedChecks).toEqual([job.id]);
    expect(stopped).toEqual([job.id]);
    expect(existsSync(join(dataDir, 'incoming', unanswered.id))).toBe(false);
    const after = new JobStore(dataDir);
    expect(after.get(job.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('send the body again') });
    expect(readdirSync(join(dataDir, 'jobs', job.id))).toEqual(['job.json']);
  });
});
