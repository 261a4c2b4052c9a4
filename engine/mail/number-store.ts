// The お問い合わせ番号 runs have taken, kept so that none is ever given twice (docs/spec/interfaces.md,
// Mailing: `SHIKAKU_DATA_DIR/registered-numbers.json`). The CLI keeps it in its data folder, the service in
// its own; every run that takes numbers holds the file's lock (proper-lockfile: other processes, other
// machines on a shared folder) while it reads, takes and writes, so two runs never take the same number.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import type { InquiryNumber } from '../records/inquiry-number.ts';
import { rangesOf, takeNumbers, type InquiryBand, type RegisteredKind } from './number-band.ts';

/** The store's file in a data folder. */
export const NUMBER_STORE_FILE = 'registered-numbers.json';

const number = z.string().regex(/^\d{11}$/);
const storedRange = z.strictObject({ first: number, last: number, run: z.string(), at: z.string() });
const storeSchema = z.strictObject({
  version: z.literal(1),
  kinds: z.strictObject({
    kani: z.array(storedRange).optional(),
    tokutei: z.array(storedRange).optional(),
    ippan: z.array(storedRange).optional(),
  }),
});
type StoreFile = z.infer<typeof storeSchema>;
type StoredRange = z.infer<typeof storedRange>;

/** Numbers a run took: given back by `release` when the run printed nothing. */
export interface TakenNumbers {
  numbers: InquiryNumber[];
  release(): Promise<void>;
}

/** How long a run waits for another that holds the store (it holds it only to read, take and write). */
const LOCK_RETRIES = { retries: 60, minTimeout: 50, maxTimeout: 500 };

export class NumberStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, NUMBER_STORE_FILE);
  }

  /**
   * Takes `count` numbers of `band` for a run of `kind`: the first ones no earlier run took, in order. They
   * are written to the store before this returns. Throws INVALID_INPUT when the band has too few left.
   */
  async take(kind: RegisteredKind, band: InquiryBand, count: number, run: string): Promise<TakenNumbers> {
    const at = `${new Date().toISOString()} ${randomBytes(3).toString('hex')}`;
    const numbers = await this.locked((store) => {
      const used = store.kinds[kind] ?? [];
      const taken = takeNumbers(band, count, used);
      store.kinds[kind] = [...used, ...rangesOf(taken).map((r) => ({ ...r, run, at }))];
      return taken;
    });
    return {
      numbers,
      release: () =>
        this.locked((store) => {
          store.kinds[kind] = (store.kinds[kind] ?? []).filter((r) => r.at !== at);
        }),
    };
  }

  /** The ranges taken of `kind`, as stored. */
  used(kind: RegisteredKind): StoredRange[] {
    return this.read().kinds[kind] ?? [];
  }

  private read(): StoreFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, kinds: {} };
      throw new PrintError('SETUP', `the registered-mail number store ${this.file} cannot be read: ${(err as Error).message}`);
    }
    const parsed = storeSchema.safeParse(safeJson(text));
    if (!parsed.success)
      // Never guess which numbers were used: a damaged store stops registered runs until someone looks.
      throw new PrintError(
        'SETUP',
        `the registered-mail number store ${this.file} is damaged (${parsed.error.issues[0]?.message ?? 'not JSON'}): restore it from a backup before printing registered mail`,
      );
    return parsed.data;
  }

  /** Reads the store, lets `change` change it, and writes it whole (flushed, renamed into place), under the lock. */
  private async locked<T>(change: (store: StoreFile) => T): Promise<T> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let unlock: () => Promise<void>;
    try {
      unlock = await lockfile.lock(this.file, { realpath: false, retries: LOCK_RETRIES, stale: 10_000 });
    } catch (err) {
      throw new PrintError('SETUP', `the registered-mail number store ${this.file} is held by another run: ${(err as Error).message}`);
    }
    try {
      const store = this.read();
      const result = change(store);
      const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(store, null, 1)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(tmp, this.file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return result;
    } finally {
      await unlock();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
