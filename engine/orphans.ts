// What the engine leaves on the machine when its process is killed, and how the next start removes it.
// puppeteer starts Chromium detached, so a `kill -9` of node used to leave the whole browser running under
// init, and the temp folders in os.tmpdir(). The launcher (chromium-launcher.sh) now makes Chromium die with
// its parent; this module marks every process and temp folder with its owner, so that whatever still
// outlives an owner (a kill in the instant before the launcher armed its signal, a folder) can be found.
// Linux only: it reads /proc, which is also why it is fast enough to run on every start.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The environment variable that marks every process the engine starts: `<owner pid>:<owner start time>`.
 * Children inherit it; the start time tells a dead owner from a new process that got its pid.
 */
export const OWNER_ENV = 'SHIKAKU_PRINT_OWNER';

/** What a sweep removed, for callers that want to log it. */
export interface SweepResult {
  /** Processes killed, each with its process group when it led one. */
  processes: number;
  /** Temp folders removed. */
  folders: number;
}

/** A temp folder's name: `shikaku-print-<kind>-<owner pid>-<mkdtemp's six characters>`. */
const OWNED_FOLDER = /^shikaku-print-[a-z]+-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Chromium overwrites the environment block of its zygotes, GPU, utility and renderer processes with their
 * process title, so /proc/<pid>/environ no longer shows the marker there; their command line still names
 * the profile folder, and through it the owner.
 */
const PROFILE_ARG = /(?:^|\0)--user-data-dir=[^\0]*\/shikaku-print-profile-(\d+)-[A-Za-z0-9]{6}\/?(?:\0|$)/;

const MARKER = new RegExp(`(?:^|\\0)${OWNER_ENV}=(\\d+):(\\d+)(?:\\0|$)`);

/** The marker naming `pid` (by default this process) as owner, for the environment of what it starts. */
export function ownerMarker(pid: number = process.pid): string {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is not running`);
  return `${pid}:${stat.startTime}`;
}

/**
 * Makes a temp folder owned by this process, `<tmp>/shikaku-print-<kind>-<pid>-XXXXXX`: the pid in its name
 * lets a later start remove it once this process is gone, however it ended.
 */
export function makeOwnedTempDir(kind: 'fonts' | 'profile' | 'diff'): string {
  return mkdtempSync(join(tmpdir(), `shikaku-print-${kind}-${process.pid}-`));
}

/**
 * Kills every process an engine started whose owner is gone (or whose owner's pid now belongs to another
 * process), and removes the temp folders of owners that are gone. Processes and folders of a live owner,
 * such as another service or CLI on the same machine, are never touched. Call it before starting a browser.
 */
export function sweepOrphans(): SweepResult {
  return { processes: killOrphanedProcesses(), folders: removeOrphanedFolders() };
}

interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22: clock ticks from boot to the process's start; with the pid, it names one process for good. */
  startTime: string;
}

/** Reads /proc/<pid>/stat; undefined when there is no such process. */
function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, may hold spaces and parentheses: count the fields from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie has ended: it only waits for its parent) and, if given, started at `startTime`. */
function isRunning(pid: number, startTime?: string): boolean {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Reads a /proc file of another process; empty when it is gone or not ours to read. */
function readProcFile(pid: number, file: 'environ' | 'cmdline'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return '';
  }
}

/** The owner recorded in a process's environment or, failing that, in its profile argument. */
function ownerOf(pid: number): { pid: number; startTime?: string } | undefined {
  const marker = MARKER.exec(readProcFile(pid, 'environ'));
  if (marker) return { pid: Number(marker[1]), startTime: marker[2] ?? '' };
  const profile = PROFILE_ARG.exec(readProcFile(pid, 'cmdline'));
  return profile ? { pid: Number(profile[1]) } : undefined;
}

/** Whether a process of group `pgid` still runs (not one that has ended and only waits to be reaped). */
export function groupRunning(pgid: number): boolean {
  return processIds().some((pid) => {
    const stat = readStat(pid);
    return stat !== undefined && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X';
  });
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** This process and its ancestors: a shell that somehow exported a stale marker must not kill its own user. */
function selfAndAncestors(): Set<number> {
  const chain = new Set<number>();
  for (let pid = process.pid; pid > 1 && !chain.has(pid); pid = readStat(pid)?.ppid ?? 0) chain.add(pid);
  return chain;
}

function killOrphanedProcesses(): number {
  const ownGroup = readStat(process.pid)?.pgid;
  const spared = selfAndAncestors();
  const ownerRuns = new Map<string, boolean>();
  let killed = 0;
  for (const pid of processIds()) {
    if (spared.has(pid)) continue;
    const owner = ownerOf(pid);
    if (!owner) continue;
    const key = `${owner.pid}:${owner.startTime ?? ''}`;
    let runs = ownerRuns.get(key);
    if (runs === undefined) ownerRuns.set(key, (runs = isRunning(owner.pid, owner.startTime)));
    if (runs) continue;
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z') continue;
    signalKill(pid);
    // The browser leads a process group of its own (puppeteer starts it detached): take the group with
    // it. Only a group the orphan leads, never ours, nor one a marked process merely belongs to.
    if (stat.pgid === pid && stat.pgid !== ownGroup) signalKill(-pid);
    killed++;
  }
  return killed;
}

function signalKill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // ended meanwhile
  }
}

function removeOrphanedFolders(): number {
  const dir = tmpdir();
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const owner = OWNED_FOLDER.exec(name)?.[1];
    // The folder's name holds the pid alone: a pid in use again keeps its folder until that process ends.
    if (owner === undefined || isRunning(Number(owner))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true, maxRetries: 3 });
      removed++;
    } catch {
      // another user's folder in a shared /tmp: not ours to remove, and no reason not to start
    }
  }
  return removed;
}
