// Nothing the service starts outlives it: after `kill -9` of its node process, its Chromium dies with it, and
// the next start removes whatever it left in the temp folder. On real processes, read from Linux's /proc.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER_ENV, ownerMarker, sweepOrphans } from '../engine/orphans.ts';
import {
  killAll,
  killHard,
  markedBy,
  startedBy,
  startServiceProcess,
  survivorsAfter,
  tempFoldersOf,
  type ServiceProcess,
} from './helpers/processes.ts';

const sample = (JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as unknown[])[0];
const startService = (dataDir: string) => startServiceProcess({ dataDir });

describe('a service killed with SIGKILL', () => {
  it('takes its Chromium (browser, zygotes, GPU, utilities, renderers, crashpad) down with it within 5 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-orphans-'));
    let service: ServiceProcess | undefined;
    let tree: number[] = [];
    try {
      service = await startService(dataDir);
      const res = await fetch(`${service.base}/v1/render/kokuho-card`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sample),
      });
      expect(res.status).toBe(200);
      tree = startedBy(service.pid);
      const marked = markedBy(service.pid);
      expect(tree.length).toBeGreaterThan(3);
      await killHard(service);
      expect(await survivorsAfter(tree, 5000)).toEqual([]);
      expect(marked.length).toBeGreaterThan(0);
    } finally {
      killAll(tree);
      if (service) {
        service.child.kill('SIGKILL');
        for (const name of tempFoldersOf(service.pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves temp folders that the next service removes when it starts, and a SIGTERM stop leaves none', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-orphans-'));
    let dead: ServiceProcess | undefined;
    let next: ServiceProcess | undefined;
    let tree: number[] = [];
    try {
      dead = await startService(dataDir);
      tree = startedBy(dead.pid);
      await killHard(dead);
      expect(tempFoldersOf(dead.pid).length).toBeGreaterThanOrEqual(2);
      next = await startService(dataDir);
      expect(tempFoldersOf(dead.pid)).toEqual([]);
      // A graceful stop, by contrast, leaves nothing: no process and no folder.
      const nextTree = startedBy(next.pid);
      tree.push(...nextTree);
      const exited = new Promise((r) => next!.child.once('exit', r));
      next.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await survivorsAfter(nextTree, 5000)).toEqual([]);
      expect(tempFoldersOf(next.pid)).toEqual([]);
    } finally {
      killAll(tree);
      for (const s of [dead, next]) {
        if (!s) continue;
        s.child.kill('SIGKILL');
        killAll(startedBy(s.pid));
        for (const name of tempFoldersOf(s.pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The marker of a process that has exited: its pid and start time, both no longer alive. */
async function deadOwnerMarker(): Promise<string> {
  const owner = spawn('sleep', ['60']);
  await new Promise((r) => owner.once('spawn', r));
  const marker = ownerMarker(owner.pid);
  const exited = new Promise((r) => owner.once('exit', r));
  owner.kill('SIGKILL');
  await exited;
  return marker;
}

/** `sleep 600` carrying `marker` in its environment, as Chromium would. */
async function markedSleep(marker: string): Promise<ChildProcess> {
  const child = spawn('sleep', ['600'], { env: { ...process.env, [OWNER_ENV]: marker } });
  await new Promise((r) => child.once('spawn', r));
  return child;
}

/** How `child` ended, or 'running' if it has not within `ms`. */
function endOf(child: ChildProcess, ms: number): Promise<NodeJS.Signals | number | 'running'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code ?? 'running');
    });
  });
}

describe('sweepOrphans', () => {
  it('kills a marked process whose owner has exited', async () => {
    const orphan = await markedSleep(await deadOwnerMarker());
    try {
      const ended = endOf(orphan, 2000);
      expect(sweepOrphans().processes).toBeGreaterThanOrEqual(1);
      expect(await ended).toBe('SIGKILL');
    } finally {
      orphan.kill('SIGKILL');
    }
  });

  it('kills a marked process whose owner pid now belongs to another process (same pid, other start time)', async () => {
    const orphan = await markedSleep(`${process.pid}:1`);
    try {
      const ended = endOf(orphan, 2000);
      sweepOrphans();
      expect(await ended).toBe('SIGKILL');
    } finally {
      orphan.kill('SIGKILL');
    }
  });

  it('leaves a process of a live owner alone', async () => {
    const child = await markedSleep(ownerMarker());
    try {
      const ended = endOf(child, 500);
      sweepOrphans();
      expect(await ended).toBe('running');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("removes the temp folders of a dead owner and keeps a live owner's", async () => {
    const deadPid = Number((await deadOwnerMarker()).split(':')[0]);
    const deadFolder = join(tmpdir(), `shikaku-print-profile-${deadPid}-Ab12Cd`);
    const liveFolder = join(tmpdir(), `shikaku-print-fonts-${process.pid}-Ef34Gh`);
    mkdirSync(join(deadFolder, 'Default'), { recursive: true });
    mkdirSync(liveFolder, { recursive: true });
    try {
      expect(sweepOrphans().folders).toBeGreaterThanOrEqual(1);
      expect(tempFoldersOf(deadPid)).toEqual([]);
      expect(tempFoldersOf(process.pid)).toContain(`shikaku-print-fonts-${process.pid}-Ef34Gh`);
    } finally {
      rmSync(deadFolder, { recursive: true, force: true });
      rmSync(liveFolder, { recursive: true, force: true });
    }
  });
});
