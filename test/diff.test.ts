// QA's proof diff: `shikaku-print diff REFERENCE CANDIDATE`, on PDFs and PNGs.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-diff-test-'));

const reference = join(dir, 'reference.pdf');
const changed = join(dir, 'changed.pdf');
const shorter = join(dir, 'shorter.pdf');

beforeAll(async () => {
  const records = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, string>[];
  writeFileSync(join(dir, 'a.json'), JSON.stringify(records));
  writeFileSync(join(dir, 'b.json'), JSON.stringify(records.map((r, i) => (i === 1 ? { ...r, number: '0034569' } : r))));
  writeFileSync(join(dir, 'c.json'), JSON.stringify(records.slice(0, 2)));
  for (const [data, out] of [
    ['a.json', reference],
    ['b.json', changed],
    ['c.json', shorter],
  ] as const) {
    const r = await cli('render', '--layout', 'kokuho-card', '--data', join(dir, data), '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('shikaku-print diff', () => {
  it('finds a proof the same as itself (exit 0)', async () => {
    const r = await cli('diff', reference, reference, '--report', join(dir, 'same'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'same', 'summary.json'), 'utf8'))).toMatchObject({ ok: true });
  });

  it('finds one changed digit (exit 1) and its report names the page and the region', async () => {
    const r = await cli('diff', reference, changed, '--report', join(dir, 'digit'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/DIFFERENT page 3: \d+ differing pixels at x [\d.]+ mm, y [\d.]+ mm/);
    const summary = JSON.parse(readFileSync(join(dir, 'digit', 'summary.json'), 'utf8')) as {
      ok: boolean;
      pages: { title: string; status: string; regionMm: { x: number; y: number; width: number; height: number } | null }[];
    };
    expect(summary.ok).toBe(false);
    expect(summary.pages.filter((p) => p.status === 'different').map((p) => p.title)).toEqual(['page 3']);
    const region = summary.pages[2]!.regionMm!;
    expect(region.x).toBeGreaterThan(40);
    expect(region.y).toBeGreaterThan(11);
    expect(region.y + region.height).toBeLessThan(18);
    expect(readFileSync(join(dir, 'digit', 'index.html'), 'utf8')).toContain('page 3: different');
  });

  it('ignores a masked region (--mask PAGE:X,Y,W,H in mm)', async () => {
    const r = await cli('diff', reference, changed, '--mask', '3:40,10,30,8', '--report', join(dir, 'masked'));
    expect(r.code, r.stdout).toBe(0);
  });

  it('reports a page count mismatch as such', async () => {
    const r = await cli('diff', reference, shorter, '--dpi', '100', '--report', join(dir, 'count'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Page count differs: reference has 6, candidate 4.');
    expect(r.stdout).toContain('DIFFERENT page 5');
  });

  it('compares a PNG proof with a page of another size, and says the sizes differ', async () => {
    await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'png300'), '--format', 'png', '--quiet');
    await cli(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      SAMPLES,
      '--out',
      join(dir, 'png150'),
      '--format',
      'png',
      '--dpi',
      '150',
      '--quiet',
    );
    expect(
      (await cli('diff', join(dir, 'png300', '0001-1.png'), join(dir, 'png300', '0001-1.png'), '--report', join(dir, 'p1'))).code,
    ).toBe(0);
    const r = await cli('diff', join(dir, 'png300', '0001-1.png'), join(dir, 'png150', '0001-1.png'), '--report', join(dir, 'p2'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Image size differs: reference 1011 × 638 px, candidate 506 × 319 px.');
  });

  it('refuses a malformed mask with exit 2', async () => {
    const r = await cli('diff', reference, changed, '--mask', '3:40,10');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mask expects PAGE:X,Y,W,H in millimetres');
  });
});
