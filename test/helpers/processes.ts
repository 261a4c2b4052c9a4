// Real processes for tests: the service started as an operator starts it, and what it started, read from
// Linux's /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { OWNER_ENV } from '../../engine/orphans.ts';
import { startCliProcess, type CliProcess } from '../../cli/cli-process.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `what` until it answers something, for at most `ms`. */
export async function until<T>(what: () => T | undefined, ms: number, said: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = what();
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${said}`);
    await sleep(50);
  }
}

/** pid → [state, parent pid, process group] of every process, from /proc/<pid>/stat. */
export function processTable(): Map<number, { state: string; ppid: number; pgid: number }> {
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
export function markedBy(owner: number): number[] {
  return [...processTable().keys()].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1')
        .split('\0')
        .some((v) => v.startsWith(`${OWNER_ENV}=${owner}:`));
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
export function startedBy(owner: number): number[] {
  const table = processTable();
  const found = new Set<number>();
  for (let grew = true; grew;) {
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
export function alive(pids: readonly number[]): number[] {
  const table = processTable();
  return pids.filter((pid) => {
    const state = table.get(pid)?.state;
    return state !== undefined && state !== 'Z' && state !== 'X';
  });
}

/** Temp folders named for `pid` (`shikaku-print-<kind>-<pid>-XXXXXX`). */
export function tempFoldersOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('shikaku-print-') && name.includes(`-${pid}-`));
}

export interface ServiceProcess extends CliProcess {
  pid: number;
  /** Its HTTP address (none for a worker). */
  base: string;
}

/** How to start a service process. */
export interface ServiceProcessOptions {
  dataDir: string;
  /** More environment (SHIKAKU_API_KEYS, SHIKAKU_SHUTDOWN_GRACE_S …); API keys are unset unless given here. */
  env?: NodeJS.ProcessEnv;
  /** Wait for /readyz 200 (default), or only until it listens. */
  waitReady?: boolean;
}

/**
 * Starts `shikaku-print serve` as an operator would (a child process on loopback) and waits until it is
 * ready. Its JSON log lines are collected in `log`.
 */
export async function startServiceProcess(o: ServiceProcessOptions): Promise<ServiceProcess> {
  const proc = spawnLogged(['serve', '--port', '0', '--host', '127.0.0.1'], o);
  const port = ((await proc.first((e) => e.msg === 'listening' && typeof e.port === 'number')) as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  for (
    let i = 0;
    o.waitReady !== false &&
    (await fetch(`${base}/readyz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200;
    i++
  ) {
    if (i > 300) throw new Error('the service never became ready');
    await sleep(200);
  }
  return { ...proc, pid: proc.child.pid!, base };
}

/** Starts `shikaku-print worker` (scale-out) with `--tabs tabs` and waits for its `worker ready` line. */
export async function startWorkerProcess(o: ServiceProcessOptions & { tabs: number }): Promise<ServiceProcess> {
  const proc = spawnLogged(['worker', '--tabs', String(o.tabs)], o);
  await proc.first((e) => e.msg === 'worker ready');
  return { ...proc, pid: proc.child.pid!, base: '' };
}

/** Runs the CLI with `args` on `o`'s folder and environment, collecting its JSON log lines as they come. */
function spawnLogged(args: string[], o: ServiceProcessOptions) {
  const env: NodeJS.ProcessEnv = { ...process.env, SHIKAKU_DATA_DIR: o.dataDir };
  delete env.SHIKAKU_API_KEYS;
  Object.assign(env, o.env);
  return startCliProcess(args, env);
}

/** Stops the service as an operator would (SIGTERM) and answers its exit code once it has exited. */
export async function stopServiceProcess(service: ServiceProcess): Promise<number | null> {
  return service.stop();
}

/** SIGKILLs the service's node process and waits until Node has reaped it. */
export async function killHard(service: ServiceProcess): Promise<void> {
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGKILL');
  await exited;
}

/** Polls until none of `pids` runs or `ms` passed; returns those still running. */
export async function survivorsAfter(pids: readonly number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (alive(pids).length && Date.now() < until) await sleep(50);
  return alive(pids);
}

/** Kills what a failed test left behind. */
export function killAll(pids: readonly number[]): void {
  for (const pid of alive(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
