import { EventEmitter } from 'node:events';
import { statfsSync } from 'node:fs';
import { PrintError } from '../../engine/index.ts';

const MB = 1024 * 1024;

/**
 * The data folder lacks room (DISK_FULL): a job fails with this message and resumes by itself when room
 * returns; a job post is refused with it.
 */
function diskFull(freeBytes: number, neededBytes: number): PrintError {
  return new PrintError('DISK_FULL', `disk full: ${Math.floor(freeBytes / MB)} MB free, ${Math.ceil(neededBytes / MB)} MB needed`);
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
 * result (2.7 KB a card side measured in a 30,000-card run; 4 KB leaves room for A4 notices), plus the
 * manifest, plus for split output (`files` PDFs in a ZIP) each file's own fonts (73-79 KB a file
 * measured for a card and a notice; 96 KB).
 */
export function bytesNeeded(pages: number, records: number, files = 0): number {
  return pages * 2 * 4 * 1024 + records * 200 + files * 96 * 1024;
}

/** The files a split job of `records` printed records makes (none without split: one PDF). */
export function splitFiles(split: string | number | boolean | undefined, records: number): number {
  if (split === undefined || typeof split === 'boolean') return 0;
  return split === 'record' ? records : Math.ceil(records / Number(split));
}

/**
 * Watches the free space of the data folder. It is `low()` while less than `minFree` bytes are free, or
 * while work is waiting for room it was refused (a job failed, a body turned away): then 'recovered' is
 * emitted once that room is there, so jobs that failed for a full disk resume. A need that cannot be met
 * stays short: no flapping between failing and resuming.
 */
export class DiskSpace extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  /** The room (bytes, the reserve included) that work is waiting for; 0 when none waits. */
  private waitingFor = 0;

  constructor(
    private readonly dir: string,
    readonly minFree: number,
    private readonly intervalMs = 2000,
  ) {
    super();
  }

  /** Free bytes now. */
  free(): number {
    return freeBytes(this.dir);
  }

  /** Whether jobs should not be taken now: below the reserve, or work waits for room. */
  low(): boolean {
    return this.free() < this.minFree || this.waitingFor > 0;
  }

  /** Throws DISK_FULL (and waits for the room) unless `needed` bytes fit above the reserve. */
  require(needed: number): void {
    const free = this.free();
    if (free < needed + this.minFree) throw this.short(needed, free);
  }

  /**
   * The error for work that lacks `needed` bytes (above the reserve): the message says what is free and
   * what is needed, reserve included, and the room is waited for.
   */
  short(needed: number, free = this.free()): PrintError {
    this.waitingFor = Math.max(this.waitingFor, needed + this.minFree);
    return diskFull(free, needed + this.minFree);
  }

  /** Starts polling (the timer does not keep the process alive). */
  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.waitingFor > 0 && this.free() >= this.waitingFor) {
      this.waitingFor = 0;
      this.emit('recovered');
    }
  }
}
