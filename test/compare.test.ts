import { describe, expect, it } from 'vitest';
import { compareImages, EXACT, VISIBLE, VISIBLE_TONE_LEVELS, type RgbaImage } from '../qa/index.ts';

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

describe("VISIBLE (the proof diff's visibility threshold)", () => {
  /** A white card-sized image whose bottom pixel row is `grey` (the rounding issue 28 names). */
  const bottomRow = (grey: number) => {
    const dots: [number, number][] = Array.from({ length: 200 }, (_, x) => [x, 59]);
    return image(200, 60, dots, grey);
  };

  it('is two grey levels, under one 1 % tone step (2.55 levels)', () => {
    expect(VISIBLE_TONE_LEVELS).toBe(2);
    expect(VISIBLE_TONE_LEVELS).toBeLessThan(255 / 100);
  });

  it('finds a row one or two grey levels lighter the same, which the exact rule calls changed', () => {
    for (const grey of [254, 253]) {
      expect(compareImages(image(200, 60), bottomRow(grey), VISIBLE)).toMatchObject({ same: true, diffPixels: 0, region: null });
      expect(compareImages(image(200, 60), bottomRow(grey), EXACT)).toMatchObject({ same: false, diffPixels: 200 });
    }
  });

  it('counts a pixel three levels off, even alone, and every channel on its own', () => {
    expect(compareImages(image(40, 30), image(40, 30, [[7, 8]], 252), VISIBLE)).toMatchObject({
      same: false,
      diffPixels: 1,
      region: { x: 7, y: 8, width: 1, height: 1 },
    });
    const tinted = image(40, 30);
    tinted.data.set([255, 252, 255, 255], (8 * 40 + 7) * 4); // only green moved, by 3
    expect(compareImages(image(40, 30), tinted, VISIBLE).diffPixels).toBe(1);
  });

  it('still finds a faint stroke among pixels that moved within the threshold, and only the stroke', () => {
    const faint: [number, number][] = [
      [20, 10],
      [21, 10],
      [22, 10],
    ];
    const actual = bottomRow(254);
    for (const [x, y] of faint) actual.data.set([200, 200, 200, 255], (y * 200 + x) * 4);
    const c = compareImages(image(200, 60), actual, VISIBLE);
    expect(c).toMatchObject({ same: false, diffPixels: 3, region: { x: 20, y: 10, width: 3, height: 1 } });
  });

  it('leaves the compared image as it was', () => {
    const actual = bottomRow(254);
    const before = Uint8Array.from(actual.data);
    compareImages(image(200, 60), actual, VISIBLE);
    expect(Buffer.from(actual.data).equals(before)).toBe(true);
  });
});
