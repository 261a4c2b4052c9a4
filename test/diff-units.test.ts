// The proof diff's pure parts: records matched by key, and changed regions found in a mask.
import { describe, expect, it } from 'vitest';
import { alignByPage, alignByRecord, type ProofRecord } from '../qa/align.ts';
import { changedRegions } from '../qa/regions.ts';
import { textIn } from '../qa/page-words.ts';

const recs = (...keys: string[]): ProofRecord[] => keys.map((key, i) => ({ record: i + 1, key, pages: [2 * i + 1, 2 * i + 2] }));
const statuses = (ref: ProofRecord[], cand: ProofRecord[]) =>
  alignByRecord(ref, cand).map((p) => `${p.key}:${p.reference ? (p.candidate ? 'both' : 'removed') : 'added'}`);

describe('alignByRecord', () => {
  it('makes one inserted record one added, and places a removed record where it was', () => {
    expect(statuses(recs('a', 'b', 'c', 'd'), recs('a', 'x', 'b', 'd'))).toEqual(['a:both', 'x:added', 'b:both', 'c:removed', 'd:both']);
  });

  it('matches records that moved, and lists what only one side has', () => {
    expect(statuses(recs('a', 'b', 'c'), recs('c', 'a', 'b', 'e'))).toEqual(['c:both', 'a:both', 'b:both', 'e:added']);
    expect(statuses(recs('a', 'b'), [])).toEqual(['a:removed', 'b:removed']);
  });

  it('pairs records by their own key, not their position', () => {
    const pairs = alignByRecord(recs('a', 'b'), recs('b', 'a'));
    expect(pairs.map((p) => [p.reference?.record, p.candidate?.record])).toEqual([
      [2, 1],
      [1, 2],
    ]);
  });
});

describe('alignByPage', () => {
  it('pairs page n with page n, the rest only on one side', () => {
    expect(alignByPage(3, 2).map((p) => [p.key, p.reference?.pages, p.candidate?.pages])).toEqual([
      ['1', [1, 1], [1, 1]],
      ['2', [2, 2], [2, 2]],
      ['3', [3, 3], undefined],
    ]);
  });
});

describe('changedRegions', () => {
  const mask = (width: number, height: number, dots: [number, number][]) => {
    const m = new Uint8Array(width * height);
    for (const [x, y] of dots) m[y * width + x] = 1;
    return m;
  };

  it('gives two changes far apart two boxes, each the bounds of its own pixels', () => {
    const m = mask(200, 100, [
      [10, 10],
      [14, 12],
      [150, 80],
      [152, 81],
    ]);
    expect(changedRegions(m, 200, 100, 10)).toEqual([
      { x: 10, y: 10, width: 5, height: 3 },
      { x: 150, y: 80, width: 3, height: 2 },
    ]);
  });

  it('joins pixels within a cell of each other into one region (the strokes of one word)', () => {
    const m = mask(200, 100, [
      [10, 10],
      [25, 12],
      [38, 11],
    ]);
    expect(changedRegions(m, 200, 100, 10)).toEqual([{ x: 10, y: 10, width: 29, height: 3 }]);
    expect(changedRegions(mask(50, 50, []), 50, 50, 10)).toEqual([]);
  });
});

describe('textIn', () => {
  it('reads the words whose centre is in the box, a line at a time, spaced where there is a gap', () => {
    const words = [
      { text: '山田', x0: 10, y0: 18, x1: 14, y1: 21 },
      { text: '花子', x0: 16, y0: 18, x1: 20, y1: 21 },
      { text: '女', x0: 70, y0: 18, x1: 72, y1: 21 },
      { text: '出雲市', x0: 10, y0: 22, x1: 16, y1: 25 },
    ];
    expect(textIn(words, [10, 18, 40, 3.8])).toBe('山田 花子');
    expect(textIn(words, [9, 17, 40, 9])).toBe('山田 花子\n出雲市');
  });
});
