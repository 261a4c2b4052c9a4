// The store of お問い合わせ番号 taken (engine/mail/number-store.ts): runs that take at the same time never
// get one number twice, a failed run gives its numbers back, and a damaged store stops registered runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NumberStore, NUMBER_STORE_FILE } from '../engine/mail/number-store.ts';
import { parseBand } from '../engine/mail/number-band.ts';

const dirs: string[] = [];
const store = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-numbers-'));
  dirs.push(dir);
  return new NumberStore(join(dir, 'data'));
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const band = parseBand('131-12-38385-2-131-12-38684-0'); // 300 numbers

describe('the number store', () => {
  it('gives runs that take at the same time numbers of their own, in order, and keeps them in the data folder', async () => {
    const s = store();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => s.take('kani', band, 10 + i, `run-${i}`)));
    const all = runs.flatMap((r) => r.numbers);
    expect(all).toHaveLength(8 * 10 + 28);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(Array.from({ length: all.length }, (_, k) => `${1311238385 + k}${(1311238385 + k) % 7}`));
    // Another store of the same folder (another process, the next day) sees them.
    const again = new NumberStore(s.dir);
    expect(
      again
        .used('kani')
        .map((r) => r.run)
        .sort(),
    ).toEqual(runs.map((_, i) => `run-${i}`).sort());
    expect((await again.take('kani', band, 1, 'next')).numbers).toEqual([`${1311238385 + 108}${(1311238385 + 108) % 7}`]);
    // Kinds have bands of their own.
    expect((await again.take('tokutei', band, 1, 'other kind')).numbers).toEqual(['13112383852']);
  });

  it('takes back what a run gives back, and only that run’s', async () => {
    const s = store();
    const a = await s.take('kani', band, 3, 'a');
    const b = await s.take('kani', band, 2, 'b');
    await a.release();
    expect(s.used('kani').map((r) => [r.run, r.first, r.last])).toEqual([['b', '13112383885', '13112383896']]);
    // The next run fills the numbers given back first: numbers are taken in order.
    expect((await s.take('kani', band, 4, 'c')).numbers).toEqual(['13112383852', '13112383863', '13112383874', '13112383900']);
    expect(b.numbers).toEqual(['13112383885', '13112383896']);
  });

  it('refuses a band with too few numbers left, and takes nothing', async () => {
    const s = store();
    await s.take('kani', band, 295, 'big');
    const before = readFileSync(join(s.dir, NUMBER_STORE_FILE), 'utf8');
    await expect(s.take('kani', band, 6, 'too many')).rejects.toThrow(/has 5 numbers left, the run needs 6/);
    expect(readFileSync(join(s.dir, NUMBER_STORE_FILE), 'utf8')).toBe(before);
  });

  it('stops at a damaged store, naming it, rather than guess which numbers were used', async () => {
    const s = store();
    await s.take('kani', band, 1, 'a');
    writeFileSync(join(s.dir, NUMBER_STORE_FILE), '{"version": 1, "kinds": {"kani": [{"first": "1"}]}}');
    await expect(s.take('kani', band, 1, 'b')).rejects.toThrow(/registered-numbers\.json is damaged .*restore it from a backup/);
    writeFileSync(join(s.dir, NUMBER_STORE_FILE), '{"version": 1, "kin');
    await expect(s.take('kani', band, 1, 'b')).rejects.toThrow(/is damaged \(/);
  });
});
