import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirPrivate, writeDurable } from './durable-file.ts';

/** What a key was first used for: the job it made and a digest of the body that made it. */
interface KeyRecord {
  jobId: string;
  bodySha256: string;
}

/** An Idempotency-Key a client may send: 1 to 255 visible ASCII characters (as Stripe's and the IETF draft's). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency keys of POST /v1/jobs, on disk under `<data>/idempotency/` so they survive a restart: one
 * file per (owner, key), named by a digest of both (a key is the client's text, never a file name). A key
 * lives as long as its job: a key whose job is gone (deleted, or past retention) is free again.
 */
export class IdempotencyKeys {
  private readonly dir: string;
  /** Keys being taken: a second request with the same key waits for the first to be answered. */
  private readonly busy = new Map<string, Promise<void>>();

  /**
   * `exclusive`: runs a function with a lock of that name held across every service sharing the folder
   * (scale-out: a Redis lock), so two instances given the same key at once make one job. Alone on its
   * folder the in-process order is enough.
   */
  constructor(
    dataDir: string,
    private readonly exclusive: <T>(name: string, fn: () => Promise<T>) => Promise<T> = (_name, fn) => fn(),
  ) {
    this.dir = join(dataDir, 'idempotency');
    mkdirPrivate(this.dir);
  }

  /** A key's name: a digest of owner and key (a key is the client's text, never a file or lock name). */
  private name(owner: string, key: string): string {
    return createHash('sha256').update(`${owner}\0${key}`).digest('hex');
  }

  private file(owner: string, key: string): string {
    return join(this.dir, `${this.name(owner, key)}.json`);
  }

  /** Runs `fn` with the key held, one request at a time per (owner, key). */
  async hold<T>(owner: string, key: string, fn: () => Promise<T>): Promise<T> {
    const id = this.name(owner, key);
    for (let wait = this.busy.get(id); wait; wait = this.busy.get(id)) await wait;
    let release = () => undefined as void;
    this.busy.set(id, new Promise<void>((r) => (release = r)));
    try {
      return await this.exclusive(id, fn);
    } finally {
      this.busy.delete(id);
      release();
    }
  }

  /** What the key was used for, if it was and its job is still there (`exists`). */
  find(owner: string, key: string, exists: (jobId: string) => boolean): KeyRecord | undefined {
    const path = this.file(owner, key);
    if (!existsSync(path)) return undefined;
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as KeyRecord;
      if (exists(r.jobId)) return r;
    } catch {
      // a torn file: the key is free again
    }
    rmSync(path, { force: true });
    return undefined;
  }

  /** Forgets the keys whose job is gone (retention, deletion). */
  sweep(exists: (jobId: string) => boolean): void {
    for (const f of readdirSync(this.dir)) {
      try {
        const r = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as KeyRecord;
        if (exists(r.jobId)) continue;
      } catch {
        // torn or foreign: removed
      }
      rmSync(join(this.dir, f), { force: true });
    }
  }

  /** Remembers that the key made `jobId` from a body with this digest. */
  async remember(owner: string, key: string, record: KeyRecord): Promise<void> {
    await writeDurable(this.file(owner, key), JSON.stringify(record));
  }
}
