import { EventEmitter } from 'node:events';
import { statfsSync } from 'node:fs';

const MB = 1024 * 1024;

/** The data folder lacks room: a job fails with this message and resumes by itself when room returns. */
export class DiskFullError extends Error {
  constructor(readonly freeBytes: number, readonly neededBytes: number) {
    super(`disk full: ${Math.floor(freeBytes / MB)} MB free, ${Math.ceil(neededBytes / MB)} MB needed`);
  }
}

/** Whether an I/O error means the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Bytes the service's user may still write in the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Bytes a job still needs for `pages` pages: each page is kept once as a printed chunk and once in the
 * result (about 2.7 KB a card side, measured; 8 KB a page leaves room for A4 notices), plus the manifest.
 */
export function bytesNeeded(pages: number, records: number): number {
  return pages * 2 * 8 * 1024 + records * 200;
}

/**
 * Watches the free space of the data folder. `low()` is true while less than `minFree` bytes are free;
 * 'recovered' is emitted when space returns, so jobs that failed for a full disk can resume.
 */
export class DiskSpace extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private wasLow = false;

  constructor(private readonly dir: string, readonly minFree: number, private readonly intervalMs = 2000) {
    super();
  }

  /** Free bytes now. */
  free(): number {
    return freeBytes(this.dir);
  }

  /** Whether free space is below the reserve now. */
  low(): boolean {
    const low = this.free() < this.minFree;
    if (this.wasLow && !low) this.emit('recovered');
    this.wasLow = low;
    return low;
  }

  /** Throws DiskFullError unless `needed` bytes fit above the reserve. */
  require(needed: number): void {
    const free = this.free();
    if (free - needed < this.minFree) {
      this.wasLow = true;
      throw new DiskFullError(free, needed + this.minFree);
    }
  }

  /** Notes that a write failed for lack of room, so recovery is watched for. */
  markLow(): void {
    this.wasLow = true;
  }

  /** Starts polling (the timer does not keep the process alive). */
  start(): void {
    this.timer ??= setInterval(() => void this.low(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
