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
  /**
   * Grey levels (of 255) by which every channel of a pixel may differ and the pixel still count as the
   * same; left out or 0: any difference counts.
   */
  toneLevels?: number;
}

/** The goldens' rule: every pixel that differs at all is a difference, and none may differ. */
export const EXACT: CompareRule = { maxDiffPixels: 0, threshold: 0, includeAA: true };

/**
 * The proof diff's visibility threshold: a pixel that differs by at most 2 grey levels in every channel is
 * not a change; one that differs by more counts, however small its area. Why 2 of 255:
 * - on paper it cannot show: a press or a toner printer reproduces tone in steps of about 1 % (2.55
 *   levels; ISO 12647-2 allows tone values a tolerance of several per cent), so 2 levels (0.8 %) is less
 *   than one step;
 * - on the screen where proofs are looked at it is at most 1.02 ΔL* anywhere on the sRGB grey ramp (the
 *   steepest place is near level 23), no more than the classic just-noticeable difference of 1 ΔE*ab and
 *   well under the 2.3 usually quoted (Sharma, Digital Color Imaging Handbook);
 * - it is the size of what rounding alone does to a page (issue 28: a background rectangle Chromium
 *   rounds to 204 or 205 units by the record's place in its chunk turns one pixel row one level lighter),
 *   which is no change of the card.
 * Anything an eye can read stays far above it: the strokes of a changed character differ by 100 to 255
 * levels (test/diff-places.test.ts: 太郎 → 大郎, one dakuten and one digit, each found at 300 dpi with
 * dozens of pixels off by more than 60 levels). Goldens keep EXACT: they are the engine's own output on a
 * pinned environment, where no difference is noise.
 */
export const VISIBLE_TONE_LEVELS = 2;

/** The proof diff's rule: exact, but for differences of at most VISIBLE_TONE_LEVELS a pixel. */
export const VISIBLE: CompareRule = { ...EXACT, toneLevels: VISIBLE_TONE_LEVELS };

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
  const compared = rule.toneLevels ? withinToneAsExpected(expected.data, actual.data, rule.toneLevels) : actual.data;
  const diffPixels = pixelmatch(expected.data, compared, out, width, height, {
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

/**
 * `actual` with every pixel whose channels all differ from `expected`'s by at most `levels` replaced by
 * the expected pixel (a copy; `actual` is left as it is): pixelmatch then counts only the others.
 */
function withinToneAsExpected(expected: Uint8Array, actual: Uint8Array, levels: number): Uint8Array {
  const out = Uint8Array.from(actual);
  for (let i = 0; i < out.length; i += 4) {
    if (
      Math.abs((expected[i] as number) - (actual[i] as number)) <= levels &&
      Math.abs((expected[i + 1] as number) - (actual[i + 1] as number)) <= levels &&
      Math.abs((expected[i + 2] as number) - (actual[i + 2] as number)) <= levels &&
      Math.abs((expected[i + 3] as number) - (actual[i + 3] as number)) <= levels
    )
      out.set(expected.subarray(i, i + 4), i);
  }
  return out;
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
