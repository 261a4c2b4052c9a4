// The カスタマバーコード: characters, padding and cutting, the check character, the 67 bars and their geometry
// in mm, and reading bars back (docs/spec/mailing.md; 郵便番号・バーコードマニュアル p11–p14).
import { describe, expect, it } from 'vitest';
import {
  addressChars,
  barKinds,
  barRects,
  checkChar,
  decodeBars,
  symbolChars,
  BAR_COUNT,
  BAR_SIZES_10PT,
  type BarKind,
  type BarRect,
} from '../engine/index.ts';

describe('the characters of a symbol', () => {
  it('writes a letter as its control code and a digit: A–J CC1, K–T CC2, U–Z CC3', () => {
    expect(addressChars('A').slice(0, 2)).toEqual(['CC1', '0']);
    expect(addressChars('J').slice(0, 2)).toEqual(['CC1', '9']);
    expect(addressChars('K').slice(0, 2)).toEqual(['CC2', '0']);
    expect(addressChars('T').slice(0, 2)).toEqual(['CC2', '9']);
    expect(addressChars('U').slice(0, 2)).toEqual(['CC3', '0']);
    expect(addressChars('Z').slice(0, 2)).toEqual(['CC3', '5']);
  });

  it('pads the 住所表示番号 with CC4 to 13 characters', () => {
    expect(addressChars('1-3-2-503')).toEqual(['1', '-', '3', '-', '2', '-', '5', '0', '3', 'CC4', 'CC4', 'CC4', 'CC4']);
  });

  it('cuts a longer one at 13, keeping a letter whose control code lands on the 13th place without its digit', () => {
    // Japan Post's examples 16 and 17 (mailing.md): 29-1524-23-2-501 and 3-80-25J1-2B.
    expect(addressChars('29-1524-23-2-501').join(' ')).toBe('2 9 - 1 5 2 4 - 2 3 - 2 -');
    expect(addressChars('3-80-25J1-2B').join(' ')).toBe('3 - 8 0 - 2 5 CC1 9 1 - 2 CC1');
  });

  it('refuses a character the symbol has no code for', () => {
    expect(() => addressChars('1-2あ')).toThrow('住所表示番号: "あ" is no character of the カスタマバーコード');
  });
});

describe('the check character', () => {
  it('makes the sum of all 21 values a multiple of 19: 1000013 1-3-2-503 gives 9', () => {
    // 1+0+0+0+0+1+3 = 5; 1+10+3+10+2+10+5+0+3 = 44; CC4 × 4 = 56; 105 + 9 = 114 = 6 × 19.
    expect(symbolChars('1000013', '1-3-2-503').at(-1)).toBe('9');
  });

  it('writes 10 as `-` and 11–18 as CC1–CC8', () => {
    // 4070033 400: 17 + 4 + 0 + 0 + 14 × 10 = 161; 161 + 10 = 171 = 9 × 19.
    expect(symbolChars('4070033', '400').at(-1)).toBe('-');
    // 0140113 60-1: 0+1+4+0+1+1+3 = 10; 6+0+10+1 = 17; CC4 × 9 = 126; 153 + 18 = 171 = 9 × 19.
    expect(symbolChars('0140113', '60-1').at(-1)).toBe('CC8');
    expect(checkChar(['8'])).toBe('CC1');
    expect(checkChar(['CC8'])).toBe('1');
    expect(checkChar(['1'])).toBe('CC8');
  });

  it('is 0 when the sum is already a multiple of 19, and then 0 is drawn as real bars (F T T), not a missing bar', () => {
    // 奥多摩町氷川215番地, 198-0212: 1+9+8+0+2+1+2 = 23; 2+1+5 = 8; CC4 × 10 = 140; 23 + 8 + 140 = 171 = 9 × 19.
    const chars = symbolChars('1980212', '215');
    expect(chars.at(-1)).toBe('0');
    const kinds = barKinds(chars);
    expect(kinds.slice(62, 65)).toEqual(['F', 'T', 'T']);
    const rects = barRects(kinds, 10);
    expect(rects).toHaveLength(67);
    for (const r of rects) expect(r.height).toBeGreaterThanOrEqual(1.2 - 1e-9);
    expect(rects[62]!.height).toBeCloseTo(3.6, 9);
  });
});

describe('the bars', () => {
  it('are START, 3 per character, STOP: 67 bars, by the table of mailing.md', () => {
    const kinds = barKinds(symbolChars('1000013', '1-3-2-503'));
    expect(kinds).toHaveLength(BAR_COUNT);
    expect(BAR_COUNT).toBe(67);
    expect(kinds.slice(0, 2).join('')).toBe('FD');
    expect(kinds.slice(-2).join('')).toBe('DF');
    // 1 FFT, 0 FTT, 0 FTT: the postal code's first three digits.
    expect(kinds.slice(2, 11).join('')).toBe('FFTFTTFTT');
    // CC4 TDA before the check character 9 TFF.
    expect(kinds.slice(59, 65).join('')).toBe('TDATFF');
  });

  it('read back as the characters they encode, check character included', () => {
    for (const [postal, number] of [
      ['1000013', '1-3-2-503'],
      ['6230011', '6-7LB106'],
      ['9100067', '3-80-25J1-2B'],
      ['1980212', '215'],
    ] as const) {
      const chars = symbolChars(postal, number);
      expect(decodeBars(barKinds(chars))).toEqual({ chars });
    }
  });

  it('refuse to read when a bar is wrong, START or STOP are missing, or the check character does not match', () => {
    const kinds = barKinds(symbolChars('1000013', '1-3-2-503'));
    const flipped: BarKind[] = [...kinds];
    flipped[3] = 'T'; // 1 FFT becomes FTT (0): every triple still a character, the check character no longer matches
    expect(decodeBars(flipped)).toEqual({ error: 'check character 9 does not match' });
    const broken: BarKind[] = [...kinds];
    broken[2] = 'A'; // AFT is no character
    expect(decodeBars(broken)).toEqual({ error: 'bars 3–5 (AFT) are no character' });
    expect(decodeBars(['T', ...kinds.slice(1)])).toEqual({ error: 'no START or STOP code' });
    expect(decodeBars(kinds.slice(1))).toEqual({ error: 'expected 67 bars, received 66' });
  });
});

/** What a symbol's rectangles measure: the values Japan Post's tolerances are given for. */
function measure(rects: BarRect[]) {
  const top = Math.min(...rects.map((r) => r.y));
  const heightOf = (kind: BarKind) => [...new Set(rects.filter((r) => r.kind === kind).map((r) => r.height.toFixed(9)))].map(Number);
  const pitches = rects.slice(1).map((r, i) => r.x - rects[i]!.x);
  return {
    long: heightOf('F'),
    semi: [...heightOf('A'), ...heightOf('D')],
    timing: heightOf('T'),
    pitch: [Math.min(...pitches), Math.max(...pitches)],
    width: [...new Set(rects.map((r) => r.width.toFixed(9)))].map(Number),
    space: [Math.min(...pitches.map((p, i) => p - rects[i]!.width)), Math.max(...pitches.map((p, i) => p - rects[i]!.width))],
    length: rects.at(-1)!.x + rects.at(-1)!.width - rects[0]!.x,
    top,
    // Timing bars sit in the middle third, ascenders reach the top, descenders the bottom.
    aligned: rects.every((r) => {
      const full = rects.find((f) => f.kind === 'F')!;
      if (r.kind === 'A') return Math.abs(r.y - full.y) < 1e-9;
      if (r.kind === 'D') return Math.abs(r.y + r.height - (full.y + full.height)) < 1e-9;
      if (r.kind === 'T') return Math.abs(r.y + r.height / 2 - (full.y + full.height / 2)) < 1e-9;
      return true;
    }),
  };
}

describe('the geometry of the bars', () => {
  const kinds = barKinds(symbolChars('1000013', '1-3-2-503'));

  it.each([8, 10, 11.5])('is within Japan Post’s tolerances at %s pt', (points) => {
    const k = points / 10;
    const m = measure(barRects(kinds, points));
    const within = (values: number[], range: { min: number; max: number }) => {
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(range.min * k - 1e-9);
        expect(v).toBeLessThanOrEqual(range.max * k + 1e-9);
      }
    };
    within(m.long, BAR_SIZES_10PT.long);
    within(m.timing, BAR_SIZES_10PT.timing);
    within(m.pitch, BAR_SIZES_10PT.pitch);
    within(m.width, BAR_SIZES_10PT.width);
    within(m.space, BAR_SIZES_10PT.space);
    // Japan Post's reference sizes, × a/10: long 3.6, semi-long 2.4, timing 1.2, pitch 1.2, bar 0.6.
    expect(m.long).toEqual([expect.closeTo(3.6 * k, 9)]);
    expect(m.semi).toEqual([expect.closeTo(2.4 * k, 9), expect.closeTo(2.4 * k, 9)]);
    expect(m.timing).toEqual([expect.closeTo(1.2 * k, 9)]);
    expect(m.length).toBeCloseTo(79.8 * k, 9);
    expect(m.top).toBe(0);
    expect(m.aligned).toBe(true);
  });

  it('refuses a size outside 8–11.5 pt', () => {
    expect(() => barRects(kinds, 7.9)).toThrow('カスタマバーコード: size 7.9 pt is outside 8–11.5 pt');
    expect(() => barRects(kinds, 11.6)).toThrow('outside 8–11.5 pt');
  });
});
