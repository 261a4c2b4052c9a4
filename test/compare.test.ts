import { describe, expect, it } from 'vitest';
import { compareImages, EXACT, type RgbaImage } from '../qa/index.ts';

/** A white image with black pixels at `dots`. */
function image(width: number, height: number, dots: [number, number][] = [], grey = 0): RgbaImage {
  const data = new Uint8Array(width * height * 4).fill(255);
  for (const [x, y] of dots) data.set([grey, grey, grey, 255], (y * width + x) * 4);
  return { width, height, data };
}

describe('compareImages (the pixel comparator)', () => {
  it('finds identical images the same, with no differing pixel and no region', () => {
    const c = compareImages(
      image(40, 30, [
        [3, 4],
        [10, 10],
      ]),
      image(40, 30, [
        [3, 4],
        [10, 10],
      ]),
    );
    expect(c).toMatchObject({ same: true, diffPixels: 0, region: null });
  });

  it('finds one changed pixel under the exact rule and says where', () => {
    const c = compareImages(image(40, 30), image(40, 30, [[17, 9]]));
    expect(c.same).toBe(false);
    expect(c.diffPixels).toBe(1);
    expect(c.region).toEqual({ x: 17, y: 9, width: 1, height: 1 });
  });

  it('counts even a faint change (one grey level) under the exact rule', () => {
    expect(compareImages(image(10, 10), image(10, 10, [[5, 5]], 254)).same).toBe(false);
  });

  it('gives the region around every change: a missing digit is a small box', () => {
    const digit: [number, number][] = [];
    for (let y = 20; y < 32; y++) for (let x = 50; x < 57; x++) if ((x + y) % 2) digit.push([x, y]);
    const c = compareImages(image(100, 60, digit), image(100, 60));
    expect(c.same).toBe(false);
    expect(c.diffPixels).toBe(digit.length);
    expect(c.region).toEqual({ x: 50, y: 20, width: 7, height: 12 });
  });

  it('reports different sizes as such, without comparing', () => {
    const c = compareImages(image(1011, 638), image(1012, 638));
    expect(c).toMatchObject({ same: false, sizeMismatch: { expected: [1011, 638], actual: [1012, 638] }, diff: null });
  });

  it('accepts up to maxDiffPixels under a tolerance rule, and no more', () => {
    const rule = { ...EXACT, maxDiffPixels: 2 };
    expect(
      compareImages(
        image(20, 20),
        image(20, 20, [
          [1, 1],
          [2, 2],
        ]),
        rule,
      ).same,
    ).toBe(true);
    expect(
      compareImages(
        image(20, 20),
        image(20, 20, [
          [1, 1],
          [2, 2],
          [3, 3],
        ]),
        rule,
      ).same,
    ).toBe(false);
  });

  it('marks differing pixels red in the diff image', () => {
    const c = compareImages(image(10, 10), image(10, 10, [[4, 6]]));
    const i = (6 * 10 + 4) * 4;
    expect([...c.diff!.data.slice(i, i + 3)]).toEqual([255, 0, 0]);
  });
});
