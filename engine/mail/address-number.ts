// The 住所表示番号: what Japan Post's rules extract from the part of an address after its 町域名, for the
// カスタマバーコード (郵便番号・バーコードマニュアル p17–p25, "バーコードに必要な文字情報の抜き出し法"; the
// rules and the 17 worked examples are collected in docs/spec/mailing.md, 住所表示番号: extraction).

/**
 * An address as the rules read it: NFKC (full-width digits and letters to ASCII, half-width kana to
 * full-width), lowercase to uppercase, and the small ヶ as ケ (鎌ヶ谷 and 鎌ケ谷 are one place). Every step
 * keeps the text's length in code points apart from NFKC, so it is applied to the whole address once.
 */
export function normalizeAddress(address: string): string {
  return address
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[ヶヵ]/g, (c) => (c === 'ヶ' ? 'ケ' : 'カ'));
}

const KANJI_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const KANJI_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** A run of 漢数字 as a number: 二十一 → 21, 十 → 10, 百五 → 105, and the positional 一〇五 → 105. */
export function kanjiNumber(run: string): number {
  if (![...run].some((c) => c in KANJI_UNITS)) return Number([...run].map((c) => KANJI_DIGITS[c] ?? 0).join(''));
  let total = 0;
  let digit: number | null = null;
  for (const c of run) {
    const unit = KANJI_UNITS[c];
    if (unit === undefined) digit = KANJI_DIGITS[c] ?? 0;
    else {
      total += (digit ?? 1) * unit;
      digit = null;
    }
  }
  return total + (digit ?? 0);
}

// Supplementary rule 1 (manual p19): 漢数字 directly before these words become digits; others are no number.
const KANJI_BEFORE_MARK = /([〇零一二三四五六七八九十百千]+)(?=丁目|丁|番地|番|号|地割|線|の|ノ)/gu;

/** `text` with the 漢数字 that stand directly before 丁目・丁・番地・番・号・地割・線・の・ノ written as digits. */
export function readKanjiNumbers(text: string): string {
  return text.replace(KANJI_BEFORE_MARK, (run) => String(kanjiNumber(run)));
}

/**
 * The 住所表示番号 extracted from `rest`, the part of a normalised address after its 町域名 (normalizeAddress):
 * digits, hyphens and letters A–Z, before padding or cutting to 13 characters.
 * Basic rules (manual p18): delete `&`, `/`, `・`, `.`; keep digits, hyphens and single letters; whatever
 * stands before a kept character becomes one hyphen; hyphens are merged; a leading hyphen is dropped.
 * Supplementary rules (manual p19–p21): 漢数字 before 丁目・丁・番地・番・号・地割・線・の・ノ become digits;
 * an `F` after a digit (a floor) is not kept, and is a hyphen when something kept follows; the hyphens
 * around a letter are removed, so letters side by side stay together.
 */
export function extractAddressNumber(rest: string): string {
  const text = readKanjiNumbers(normalizeAddress(rest).replace(/[&/・.]/g, ''));
  let out = '';
  let pendingHyphen = false;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const letter = /^[A-Z]$/.test(c);
    const single = letter && !/^[A-Z]$/.test(chars[i - 1] ?? '') && !/^[A-Z]$/.test(chars[i + 1] ?? '');
    const floor = c === 'F' && /^\d$/.test(chars[i - 1] ?? '');
    if (/^[0-9-]$/.test(c) || (single && !floor)) {
      if (pendingHyphen) out += '-';
      out += c;
      pendingHyphen = false;
    } else pendingHyphen = true;
  }
  return out
    .replace(/-+/g, '-')
    .replace(/^-/, '')
    .replace(/-?([A-Z])-?/g, '$1');
}
