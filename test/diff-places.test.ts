// Issue 28 as QA's proof diff sees it: a record that only moved to another place of its chunk is the same,
// and the smallest real change to a record is still a change. The run of the Done-when is 2,000
// records (`bench --diff --records 2000` measures it); here 300 records, three chunks of 100, with the record
// inserted as the 100th so that every record after it moves one place and across both chunk boundaries
// (the place where Chromium's page offsets and rounding change), one removed and one 氏名 changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePdfOutput } from '../engine/index.ts';
import { compareImages, diffProofs, VISIBLE, VISIBLE_TONE_LEVELS, type DiffOutcome } from '../qa/index.ts';
import { openProof, rasterPages } from '../qa/proofs.ts';
import { sharedEngine } from './helpers/shared-engine.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const samples = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, string>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-diff-places-'));

async function print(name: string, records: Record<string, string>[]): Promise<string> {
  const engine = await sharedEngine();
  const file = join(dir, name);
  await writePdfOutput(file, (sink) => engine.render('kokuho-card', records, sink, { fieldMap: true, name }));
  return file;
}

interface Rec {
  status: string;
  reference?: { record: number };
  candidate?: { record: number };
  changes: { field?: string; before?: string; after?: string }[];
}

async function diff(ref: string, cand: string, report: string): Promise<{ outcome: DiffOutcome; records: Rec[] }> {
  // One rasterizer at a time: the suite runs two test files at once on two cores.
  const outcome = await diffProofs(ref, cand, { dpi: 300, masks: [], reportDir: join(dir, report), concurrency: 1 });
  const json = JSON.parse(readFileSync(join(dir, report, 'report.json'), 'utf8')) as { records: Rec[] };
  return { outcome, records: json.records };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a run with one record inserted, one removed and one renamed', () => {
  let run: { outcome: DiffOutcome; records: Rec[] };

  beforeAll(async () => {
    const original = Array.from({ length: 300 }, (_, i) => ({ ...samples[i % samples.length]!, number: String(i).padStart(7, '0') }));
    const candidate = original.map((r, i) => (i === 150 ? { ...r, name: '岡本 三四郎' } : r));
    candidate.splice(250, 1); // record 251 removed
    candidate.splice(99, 0, { ...samples[0]!, number: '9999999', name: '新井 一' }); // a new record as the 100th
    run = await diff(await print('a.pdf', original), await print('b.pdf', candidate), 'run');
  }, 120_000);

  it('reports exactly 1 added, 1 removed, 1 changed (氏名), and every record that only moved the same', () => {
    expect(run.outcome.summary).toEqual({ same: 298, changed: 1, added: 1, removed: 1 });
    const notSame = run.records.filter((r) => r.status !== 'same');
    expect(notSame.map((r) => [r.status, r.reference?.record, r.candidate?.record])).toEqual([
      ['added', undefined, 100],
      ['changed', 151, 152],
      ['removed', 251, undefined],
    ]);
    expect(notSame[1]!.changes).toEqual([expect.objectContaining({ field: '氏名', after: '岡本 三四郎' })]);
  });

  it('settles pages by their content first and rasterizes only the others', () => {
    const { sameByContent, rasterized } = run.outcome.pages;
    expect(sameByContent + rasterized).toBe(1200);
    // The records before the insertion's chunk and after the removal stand where they stood.
    expect(sameByContent).toBeGreaterThan(0);
    // At least the changed record's pages on both sides (4), and the added and the removed record's (2 each).
    expect(rasterized).toBeGreaterThanOrEqual(8);
  });
});

describe('the smallest real change is a change', () => {
  const withRef = (rs: Record<string, string>[]) => rs.map((r, i) => ({ ...r, ref: `R-${i + 1}` }));
  const before = withRef([
    { ...samples[0]!, name: '山田 太郎' },
    { ...samples[0]!, name: '山田 さくら' },
    { ...samples[0]!, number: '0034567' },
  ]);
  // One stroke (太 → 大), one dakuten (さ → ざ), one digit.
  const after = withRef([
    { ...samples[0]!, name: '山田 大郎' },
    { ...samples[0]!, name: '山田 ざくら' },
    { ...samples[0]!, number: '0034568' },
  ]);
  let files: [string, string];
  let result: { outcome: DiffOutcome; records: Rec[] };

  beforeAll(async () => {
    files = [await print('small-a.pdf', before), await print('small-b.pdf', after)];
    result = await diff(...files, 'small');
  }, 120_000);

  it('reports one stroke, one dakuten and one digit each as a change of its field, at the proof dpi', () => {
    expect(result.outcome.summary).toEqual({ same: 0, changed: 3, added: 0, removed: 0 });
    expect(result.records.map((r) => r.changes.map((c) => [c.field, c.before, c.after]))).toEqual([
      [['氏名', '山田 太郎', '山田 大郎']],
      [['氏名', '山田 さくら', '山田 ざくら']],
      [['番号', '0034567', '0034568']],
    ]);
  });

  it('changes its pixels by far more than the threshold: dozens of pixels even at 30 times it', async () => {
    const [a, b] = await Promise.all(files.map((f) => openProof(f)));
    const read = await Promise.all([a!, b!].map((p, i) => rasterPages(p, [1, 3, 5], 300, mkdtempSync(join(dir, `px${i}-`)), 'mupdf')));
    const rgba = (img: { width: number; height: number; data: Buffer }) => {
      const data = new Uint8Array(img.width * img.height * 4).fill(255);
      for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) data.set(img.data.subarray(i, i + 3), j);
      return { width: img.width, height: img.height, data };
    };
    for (const page of [1, 3, 5]) {
      const [ra, rb] = [rgba(await read[0]!(page)), rgba(await read[1]!(page))];
      expect(compareImages(ra, rb, VISIBLE).diffPixels, `page ${page}`).toBeGreaterThan(20);
      expect(compareImages(ra, rb, { ...VISIBLE, toneLevels: 30 * VISIBLE_TONE_LEVELS }).diffPixels, `page ${page}`).toBeGreaterThan(20);
    }
  });
});
