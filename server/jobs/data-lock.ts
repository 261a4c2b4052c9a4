import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PrintError } from '../../engine/index.ts';

/** Who holds a data folder. */
interface Holder {
  pid: number;
  host: string;
  /** The process's start time (clock ticks since boot, /proc/PID/stat field 22): tells a reused pid apart. */
  start: string;
  since: string;
}

/** A second service found the data folder held by a live one (SETUP: this machine's set-up is wrong). */
const locked = (message: string) => new PrintError('SETUP', message);

/** The start time of a process, or undefined when it does not exist. */
/**
 * Whether the lock at `path` is still `me` after a moment: two services taking over one stale lock at the
 * same time can each remove the other's fresh lock; the one whose lock is gone then gives way.
 */
function holds(path: string, me: Holder): boolean {
  sleepSync(100);
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return h.pid === me.pid && h.start === me.start && h.host === me.host;
  } catch {
    return false;
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in a lock file still runs (one on another host cannot be asked: it is taken to). */
function alive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  return startTime(h.pid) === h.start;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The mark of a data folder shared by a cluster on Redis: an embedded service never runs on it. */
const CLUSTER_MARK = 'cluster.json';

/**
 * Marks the data folder as a cluster's (scale-out), after checking that no embedded service holds it: a
 * service alone on a folder resumes and deletes what it finds there, and would print a cluster's jobs
 * beside its workers. The instances of a cluster share the folder and lock nothing.
 */
export function markClusterFolder(dataDir: string): void {
  const path = join(dataDir, 'service.lock');
  let holder: Holder | undefined;
  try {
    holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    holder = undefined;
  }
  if (holder && alive(holder))
    throw locked(
      `the data folder ${dataDir} is in use by a shikaku-print service without Redis (process ${holder.pid} on ${holder.host}): stop it, or give the cluster its own SHIKAKU_DATA_DIR`,
    );
  try {
    writeFileSync(join(dataDir, CLUSTER_MARK), JSON.stringify({ mode: 'redis', since: new Date().toISOString() }), {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Takes the data folder for this process, so no job is ever run by two services at once: creates
 * `service.lock` exclusively, holding this process's id. A lock left by a process of this host that no
 * longer runs (a crash, kill -9) is taken over; one held by a live process, or by a process of another
 * host (which cannot be asked), refuses with its process id. Answers the function that releases the lock.
 */
export function lockDataFolder(dataDir: string): () => void {
  const path = join(dataDir, 'service.lock');
  if (existsSync(join(dataDir, CLUSTER_MARK)))
    throw locked(
      `the data folder ${dataDir} is shared by a cluster on Redis (${CLUSTER_MARK}): start serve with its SHIKAKU_REDIS_URL, or give this one its own SHIKAKU_DATA_DIR`,
    );
  const me: Holder = { pid: process.pid, host: hostname(), start: startTime(process.pid) ?? '', since: new Date().toISOString() };
  let tookOver = false;
  for (let attempt = 0; ; attempt++) {
    // Written whole aside, then linked into place: the link either creates the lock with its content or
    // fails because one exists, so no one ever reads a lock half-written by a live process.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(me), { mode: 0o600 });
    try {
      linkSync(tmp, path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (attempt >= 2) throw locked(`the data folder ${dataDir} is being taken by another service: start this one again`);
      let holder: Holder | undefined;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      } catch {
        holder = undefined; // unreadable: not written by this code (it links whole files), so nobody's
      }
      if (holder && alive(holder)) {
        const otherHost = holder.host !== hostname() ? `; if that host is gone for good, remove ${path}` : '';
        throw locked(
          `the data folder ${dataDir} is in use by another shikaku-print service (process ${holder.pid} on ${holder.host}, since ${holder.since}): ` +
            `stop it, or give this one its own SHIKAKU_DATA_DIR${otherHost}`,
        );
      }
      rmSync(path, { force: true });
      tookOver = true;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  if (tookOver && !holds(path, me))
    throw locked(`the data folder ${dataDir} was taken by another service starting at the same moment: start this one again`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      const holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      if (holder.pid === me.pid && holder.start === me.start) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
}
