// A band of お問い合わせ番号 handed out by the post office, and taking the next numbers of it (docs/spec/
// interfaces.md, Mailing: `--numbers FIRST[-LAST]`). The numbers themselves: engine/records/inquiry-number.ts.
import { PrintError } from '../errors.ts';
import { formatInquiry, inquiryNumber, parseInquiry, type InquiryNumber } from '../records/inquiry-number.ts';

/** The kinds of registered and recorded mail, as `--registered` names them, and as printed. */
export const REGISTERED_KINDS = { kani: '簡易書留', tokutei: '特定記録', ippan: '一般書留' } as const;
export type RegisteredKind = keyof typeof REGISTERED_KINDS;

/** A band of numbers handed out: from `first`, through `last` when it is given (both with check digits). */
export interface InquiryBand {
  first: InquiryNumber;
  last?: InquiryNumber;
}

/** `FIRST` or `FIRST-LAST` (`--numbers`, `numbers=`), each written either way; LAST may not come before FIRST. */
export function parseBand(text: string): InquiryBand {
  const t = text.trim();
  // The printed form has hyphens of its own: the band's is the one between two whole numbers.
  const m = /^(\d{3}-\d{2}-\d{5}-\d|\d{11})(?:\s*[-~〜]\s*(\d{3}-\d{2}-\d{5}-\d|\d{11}))?$/.exec(t);
  if (!m)
    throw new PrintError('INVALID_INPUT', `numbers: expected FIRST or FIRST-LAST (e.g. 131-12-38385-2-131-12-38684-0), not "${text}"`);
  const first = parseInquiry(m[1] as string);
  if (m[2] === undefined) return { first };
  const last = parseInquiry(m[2]);
  if (last < first)
    throw new PrintError('INVALID_INPUT', `numbers: the band ends (${formatInquiry(last)}) before it begins (${formatInquiry(first)})`);
  return { first, last };
}

/** Numbers already given, as inclusive ranges of their first ten digits (a number store's record). */
export interface UsedRange {
  first: InquiryNumber;
  last: InquiryNumber;
}

const base = (n: InquiryNumber) => Number(n.slice(0, 10));
const ofBase = (b: number) => inquiryNumber(String(b).padStart(10, '0'));

/**
 * The first `count` numbers of `band` that no range of `used` holds, in order (a second run continues after
 * the first's last number). A band with too few numbers left is refused before anything prints, saying how
 * many it has.
 */
export function takeNumbers(band: InquiryBand, count: number, used: readonly UsedRange[] = []): InquiryNumber[] {
  const end = band.last !== undefined ? base(band.last) : 9_999_999_999;
  const ranges = used.map((r) => [base(r.first), base(r.last)] as const).sort((a, b) => a[0] - b[0]);
  const out: InquiryNumber[] = [];
  let next = base(band.first);
  for (const [from, to] of [...ranges, [end + 1, end + 1] as const]) {
    if (to < next) continue;
    for (; next < Math.min(from, end + 1) && out.length < count; next++) out.push(ofBase(next));
    if (out.length === count || from > end) break;
    next = Math.max(next, to + 1);
  }
  if (out.length < count) {
    const left = out.length;
    throw new PrintError(
      'INVALID_INPUT',
      `the band ${formatInquiry(band.first)}${band.last ? `–${formatInquiry(band.last)}` : ''} has ${left} number${left === 1 ? '' : 's'} left, the run needs ${count}: ask the post office for another band`,
    );
  }
  return out;
}

/** Numbers in order as the fewest inclusive ranges (what a number store keeps of a run). */
export function rangesOf(numbers: readonly InquiryNumber[]): UsedRange[] {
  const out: UsedRange[] = [];
  for (const n of [...numbers].sort()) {
    const last = out.at(-1);
    if (last && base(n) === base(last.last) + 1) last.last = n;
    else out.push({ first: n, last: n });
  }
  return out;
}
