import pixelmatch from 'pixelmatch';

/** An RGBA image: 4 bytes a pixel, rows top to bottom. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A rectangle in pixels. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How strict a comparison is. The default is exact: any pixel that differs at all counts (colour
 * threshold 0, anti-aliased pixels included) and none may differ. A missing digit on a card is only
 * 100–300 pixels, under any percentage budget, so a tolerance, if ever needed, is an absolute number of
 * pixels with pixelmatch's anti-aliasing detection, set per layout and documented there.
 */
export interface CompareRule {
  /** Pixels that may differ and still count as the same. */
  maxDiffPixels: number;
  /** pixelmatch's colour threshold, 0 to 1. */
  threshold: number;
  /** Count pixels pixelmatch judges anti-aliasing as differences too. */
  includeAA: boolean;
}

export const EXACT: CompareRule = { maxDiffPixels: 0, threshold: 0, includeAA: true };

/** The outcome of comparing two images. */
export interface Comparison {
  same: boolean;
  /** Set when the sizes differ; then nothing else was compared. */
  sizeMismatch?: { expected: [number, number]; actual: [number, number] };
  diffPixels: number;
  /** The smallest rectangle holding every differing pixel, or null when none differ. */
  region: PixelRect | null;
  /** The expected image faded, with differing pixels in red; null when the sizes differ. */
  diff: RgbaImage | null;
}

const RED: [number, number, number] = [255, 0, 0];

/** Compares two images under `rule`. Pure: no files, no clock, the same answer for the same input. */
export function compareImages(expected: RgbaImage, actual: RgbaImage, rule: CompareRule = EXACT): Comparison {
  if (expected.width !== actual.width || expected.height !== actual.height) {
    return {
      same: false,
      sizeMismatch: { expected: [expected.width, expected.height], actual: [actual.width, actual.height] },
      diffPixels: 0,
      region: null,
      diff: null,
    };
  }
  const { width, height } = expected;
  const out = new Uint8Array(width * height * 4);
  const diffPixels = pixelmatch(expected.data, actual.data, out, width, height, {
    threshold: rule.threshold,
    includeAA: rule.includeAA,
    alpha: 0.15,
    diffColor: RED,
    aaColor: rule.includeAA ? RED : [255, 200, 0],
  });
  return {
    same: diffPixels <= rule.maxDiffPixels,
    diffPixels,
    region: diffPixels ? regionOf(out, width, height) : null,
    diff: { width, height, data: out },
  };
}

/** The bounding box of the pure-red pixels pixelmatch marks as different. */
function regionOf(diff: Uint8Array, width: number, height: number): PixelRect | null {
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (diff[i] === 255 && diff[i + 1] === 0 && diff[i + 2] === 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
