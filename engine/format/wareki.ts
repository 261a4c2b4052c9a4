import type { CalendarDate } from '../records/dates.ts';
import { isoOf } from '../records/dates.ts';

/**
 * The eras of the Japanese calendar (和暦) with the Gregorian day each began, newest first.
 * Start days: 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08 and 令和 2019-05-01 (元号を改める政令);
 * 明治 is printed from 1873-01-01, the day Japan adopted the Gregorian calendar (明治6年): earlier dates
 * were lunisolar and cannot be written as a Gregorian ISO date. Our own table, not the host's ICU, which
 * prints 令和1年 instead of 令和元年 for some formats and may differ between Node builds.
 */
export const ERAS = [
  { name: '令和', start: '2019-05-01' },
  { name: '平成', start: '1989-01-08' },
  { name: '昭和', start: '1926-12-25' },
  { name: '大正', start: '1912-07-30' },
  { name: '明治', start: '1868-01-25', printableFrom: '1873-01-01' },
] as const;

/** A date as printed in the Japanese era. */
export interface Wareki {
  era: string;
  /** Year of the era; 1 is printed 元. */
  eraYear: number;
  month: number;
  day: number;
}

/** The era date of `d`; throws RangeError before 1873-01-01, which has no Gregorian era date. */
export function toWareki(d: CalendarDate): Wareki {
  const iso = isoOf(d);
  for (const era of ERAS) {
    if (iso >= era.start) {
      if ('printableFrom' in era && iso < era.printableFrom) break;
      const eraStartYear = Number(era.start.slice(0, 4));
      return { era: era.name, eraYear: d.year - eraStartYear + 1, month: d.month, day: d.day };
    }
  }
  throw new RangeError(`${iso} is before 1873-01-01 and cannot be printed as a Gregorian era date`);
}

/** The era year as printed: 元 for the first year, else the number (令和元年, 令和8年). */
export function eraYearText(eraYear: number): string {
  return eraYear === 1 ? '元' : String(eraYear);
}

/** The full printed form, e.g. 令和元年5月1日, 昭和30年4月1日. */
export function formatWareki(d: CalendarDate): string {
  const w = toWareki(d);
  return `${w.era}${eraYearText(w.eraYear)}年${w.month}月${w.day}日`;
}
