import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Who holds a data folder. */
interface Holder {
  pid: number;
  host: string;
  /** The process's start time (clock ticks since boot, /proc/PID/stat field 22): tells a reused pid apart. */
  start: string;
  since: string;
}

/** A second service found the data folder held by a live one. */
export class DataFolderLockedError extends Error {}

/** The start time of a process, or undefined when it does not exist. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in a lock file still runs (on another host it is taken to). */
function alive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  return startTime(h.pid) === h.start;
}

/**
 * Takes the data folder for this process, so no job is ever run by two services at once: creates
 * `service.lock` exclusively, holding this process's id. A lock left by a process that no longer runs (a
 * crash, kill -9) is taken over; one held by a live process refuses with its process id. Answers the
 * function that releases the lock.
 */
export function lockDataFolder(dataDir: string): () => void {
  const path = join(dataDir, 'service.lock');
  const me: Holder = { pid: process.pid, host: hostname(), start: startTime(process.pid) ?? '', since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      let holder: Holder | undefined;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      } catch {
        holder = undefined; // empty or torn: written by a process that died while writing it
      }
      if (holder && alive(holder)) {
        throw new DataFolderLockedError(
          `the data folder ${dataDir} is in use by another shikaku-print service (process ${holder.pid} on ${holder.host}, since ${holder.since}): ` +
            'stop it, or give this one its own SHIKAKU_DATA_DIR',
        );
      }
      rmSync(path, { force: true });
    }
  }
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
