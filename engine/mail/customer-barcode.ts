// The カスタマバーコード: characters, check character, bars and their geometry, as Japan Post's
// 郵便番号・バーコードマニュアル (p11–p14) defines them; the facts are collected in docs/spec/mailing.md.
// Drawn from this geometry, never from bwip-js's japanpost encoder: it snaps bars to pixels and draws a
// zero-height bar for a check character 0 (mailing.md).

/** One character of the symbol: a digit, the hyphen, or a control code CC1…CC8. */
export type BarcodeChar = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '-' | `CC${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8}`;

/** A bar's kind: F long, A upper semi-long (ascender), D lower semi-long (descender), T timing. */
export type BarKind = 'F' | 'A' | 'D' | 'T';

/** The characters in the order of their check values 0…18 (mailing.md, カスタマバーコード). */
export const BARCODE_CHARS: readonly BarcodeChar[] = [
  ...(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-'] as const),
  ...(['CC1', 'CC2', 'CC3', 'CC4', 'CC5', 'CC6', 'CC7', 'CC8'] as const),
];

// Three bars per character (mailing.md, the bar table; manual p13).
const BARS: Record<BarcodeChar, string> = {
  '1': 'FFT',
  '2': 'FDA',
  '3': 'DFA',
  '4': 'FAD',
  '5': 'FTF',
  '6': 'DAF',
  '7': 'AFD',
  '8': 'ADF',
  '9': 'TFF',
  '0': 'FTT',
  '-': 'TFT',
  CC1: 'DAT',
  CC2: 'DTA',
  CC3: 'ADT',
  CC4: 'TDA',
  CC5: 'ATD',
  CC6: 'TAD',
  CC7: 'TTF',
  CC8: 'FFF',
};
const START = 'FD';
const STOP = 'DF';

/** The number of 住所表示番号 characters in every symbol. */
export const ADDRESS_CHARS = 13;

/** Every symbol has this many bars: START 2, 20 data characters and the check character at 3 each, STOP 2. */
export const BAR_COUNT = 2 + (7 + ADDRESS_CHARS + 1) * 3 + 2;

/**
 * The 13 characters of an extracted 住所表示番号 (digits, hyphens, letters A–Z): a letter is a control
 * code and a digit (A–J CC1+0…9, K–T CC2+0…9, U–Z CC3+0…5); padded with CC4 or cut to 13, a letter whose
 * control code is the 13th keeping only it (manual p12; mailing.md, the letter-at-20 rule).
 */
export function addressChars(number: string): BarcodeChar[] {
  const out: BarcodeChar[] = [];
  for (const c of number) {
    if (/^[0-9-]$/.test(c)) out.push(c as BarcodeChar);
    else if (/^[A-Z]$/.test(c)) {
      const i = c.charCodeAt(0) - 65;
      out.push(`CC${(Math.floor(i / 10) + 1) as 1 | 2 | 3}`, String(i % 10) as BarcodeChar);
    } else throw new RangeError(`住所表示番号: "${c}" is no character of the カスタマバーコード (0-9, -, A-Z)`);
  }
  // Cutting at 13 keeps a letter's control code that lands on the 13th place and drops its digit.
  while (out.length < ADDRESS_CHARS) out.push('CC4');
  return out.slice(0, ADDRESS_CHARS);
}

/** The check value of a character: 0–9, `-` 10, CC1…CC8 11…18. */
export function checkValue(c: BarcodeChar): number {
  return BARCODE_CHARS.indexOf(c);
}

/** The check character that makes the sum of all 21 check values a multiple of 19 (manual p14). */
export function checkChar(chars: readonly BarcodeChar[]): BarcodeChar {
  const sum = chars.reduce((s, c) => s + checkValue(c), 0);
  return BARCODE_CHARS[(19 - (sum % 19)) % 19] as BarcodeChar;
}

/** The 21 characters of a symbol (7 postal digits, 13 address characters, the check character). */
export function symbolChars(postalCode: string, number: string): BarcodeChar[] {
  if (!/^\d{7}$/.test(postalCode)) throw new RangeError(`郵便番号: expected 7 digits, received "${postalCode}"`);
  const data = [...(postalCode.split('') as BarcodeChar[]), ...addressChars(number)];
  return [...data, checkChar(data)];
}

/** The 67 bar kinds of a symbol: START, the 21 characters, STOP. */
export function barKinds(chars: readonly BarcodeChar[]): BarKind[] {
  return [...START, ...chars.flatMap((c) => [...BARS[c]]), ...STOP] as BarKind[];
}

/**
 * The characters of a symbol read from its bars, or the reason it cannot be read: bad START or STOP, a
 * triple that is no character, or a check character that does not match.
 */
export function decodeBars(kinds: readonly BarKind[]): { chars: BarcodeChar[] } | { error: string } {
  if (kinds.length !== BAR_COUNT) return { error: `expected ${BAR_COUNT} bars, received ${kinds.length}` };
  const text = kinds.join('');
  if (!text.startsWith(START) || !text.endsWith(STOP)) return { error: 'no START or STOP code' };
  const byBars = new Map(Object.entries(BARS).map(([c, b]) => [b, c as BarcodeChar]));
  const chars: BarcodeChar[] = [];
  for (let i = 2; i < BAR_COUNT - 2; i += 3) {
    const c = byBars.get(text.slice(i, i + 3));
    if (c === undefined) return { error: `bars ${i + 1}–${i + 3} (${text.slice(i, i + 3)}) are no character` };
    chars.push(c);
  }
  const check = chars.at(-1) as BarcodeChar;
  if (checkChar(chars.slice(0, -1)) !== check) return { error: `check character ${check} does not match` };
  return { chars };
}

/** One bar as a rectangle in mm, from the symbol's top left corner, y downwards. */
export interface BarRect {
  kind: BarKind;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Japan Post's sizes at 10 pt in mm, and their allowed ranges (manual p12; mailing.md). */
export const BAR_SIZES_10PT = {
  long: { size: 3.6, min: 3.4, max: 3.6 },
  timing: { size: 1.2, min: 1.05, max: 1.35 },
  pitch: { size: 1.2, min: 0.95, max: 1.3 },
  width: { size: 0.6, min: 0.5, max: 0.7 },
  space: { size: 0.6, min: 0.45, max: 0.6 },
} as const;

/** The smallest and largest size a symbol may be printed at, in points. */
export const BARCODE_POINTS = { min: 8, max: 11.5 } as const;

/**
 * Every bar of a symbol as a rectangle in mm at `points` (8–11.5; everything × points/10): long bars span
 * the height, the timing bar its middle third, an ascender the top two thirds, a descender the bottom two.
 */
export function barRects(kinds: readonly BarKind[], points = 10): BarRect[] {
  if (!(points >= BARCODE_POINTS.min && points <= BARCODE_POINTS.max)) {
    throw new RangeError(`カスタマバーコード: size ${points} pt is outside 8–11.5 pt`);
  }
  const k = points / 10;
  const third = (BAR_SIZES_10PT.long.size / 3) * k;
  const span: Record<BarKind, [number, number]> = { F: [0, 3], A: [0, 2], D: [1, 3], T: [1, 2] };
  return kinds.map((kind, i) => {
    const [top, bottom] = span[kind];
    return {
      kind,
      x: i * BAR_SIZES_10PT.pitch.size * k,
      y: top * third,
      width: BAR_SIZES_10PT.width.size * k,
      height: (bottom - top) * third,
    };
  });
}
