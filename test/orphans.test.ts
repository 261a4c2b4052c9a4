// Nothing the service starts outlives it: after `kill -9` of its node process, its Chromium dies with it, and
// the next start removes whatever it left in the temp folder. On real processes, read from Linux's /proc.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OWNER_ENV, ownerMarker, sweepOrphans } from '../engine/browser/orphans.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = (JSON.parse(readFileSync(join(root, 'layouts/kokuho-card/samples.json'), 'utf8')) as unknown[])[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pid → [state, parent pid, process group] of every process, from /proc/<pid>/stat. */
function processTable(): Map<number, { state: string; ppid: number; pgid: number }> {
  const table = new Map<number, { state: string; ppid: number; pgid: number }>();
  for (const entry of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state = '', ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { state, ppid: Number(ppid), pgid: Number(pgid) });
    } catch {
      // gone while reading
    }
  }
  return table;
}

/** Processes whose environment carries the marker naming `owner`. */
function markedBy(owner: number): number[] {
  return [...processTable().keys()].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').some((v) => v.startsWith(`${OWNER_ENV}=${owner}:`));
    } catch {
      return false;
    }
  });
}

/**
 * Every process `owner` started, found without trusting the marker alone: its descendants, the members of
 * process groups they lead (Chromium's renderers), and whatever carries its marker (crashpad handlers,
 * which Chromium re-parents to init).
 */
function startedBy(owner: number): number[] {
  const table = processTable();
  const found = new Set<number>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of table) {
      if (!found.has(pid) && (p.ppid === owner || found.has(p.ppid) || found.has(p.pgid))) {
        found.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of markedBy(owner)) found.add(pid);
  return [...found].sort((a, b) => a - b);
}

/** Those of `pids` still running (a zombie is dead: it only waits to be reaped). */
function alive(pids: readonly number[]): number[] {
  const table = processTable();
  return pids.filter((pid) => {
    const state = table.get(pid)?.state;
    return state !== undefined && state !== 'Z' && state !== 'X';
  });
}

/** Temp folders named for `pid` (`shikaku-print-<kind>-<pid>-XXXXXX`). */
function tempFoldersOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('shikaku-print-') && name.includes(`-${pid}-`));
}

interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  base: string;
}

/** Starts `shikaku-print serve` as an operator would (a child process, loopback, no API keys) and waits until it is ready. */
async function startService(dataDir: string): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, SHIKAKU_DATA_DIR: dataDir };
  delete env.SHIKAKU_API_KEYS;
  const child = spawn(process.execPath, ['bin/shikaku-print.js', 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      // Chromium's own complaints share the stream: only JSON lines are the service's log.
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'listening' && entry.port) resolve(entry.port);
    });
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; (await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200; i++) {
    if (i > 300) throw new Error('the service never became ready');
    await sleep(200);
  }
  return { child, pid: child.pid!, base };
}

/** SIGKILLs the service's node process and waits until Node has reaped it. */
async function killHard(service: ServiceProcess): Promise<void> {
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGKILL');
  await exited;
}

/** Polls until none of `pids` runs or `ms` passed; returns those still running. */
async function survivorsAfter(pids: readonly number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (alive(pids).length && Date.now() < until) await sleep(50);
  return alive(pids);
}

/** Kills what a failed test left behind. */
function killAll(pids: readonly number[]): void {
  for (const pid of alive(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('a service killed with SIGKILL', () => {
  it('takes its Chromium (browser, zygotes, GPU, utilities, renderers, crashpad) down with it within 5 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-orphans-'));
    let service: ServiceProcess | undefined;
    let tree: number[] = [];
    try {
      service = await startService(dataDir);
      const res = await fetch(`${service.base}/v1/render/kokuho-card`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample) });
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
  const marker = ownerMarker(owner.pid!);
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
