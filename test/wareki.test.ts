import { describe, expect, it } from 'vitest';
import { formatWareki, parseIsoDate, ageOn } from '../engine/index.ts';

const w = (iso: string) => {
  const d = parseIsoDate(iso);
  if (!d) throw new Error(`bad date in test: ${iso}`);
  return formatWareki(d);
};

describe('和暦 (era dates)', () => {
  it.each([
    ['1912-07-29', '明治45年7月29日'],
    ['1912-07-30', '大正元年7月30日'],
    ['1926-12-24', '大正15年12月24日'],
    ['1926-12-25', '昭和元年12月25日'],
    ['1989-01-07', '昭和64年1月7日'],
    ['1989-01-08', '平成元年1月8日'],
    ['2019-04-30', '平成31年4月30日'],
    ['2019-05-01', '令和元年5月1日'],
    ['2020-01-01', '令和2年1月1日'],
    ['2024-12-02', '令和6年12月2日'],
    ['1873-01-01', '明治6年1月1日'],
    ['1911-03-15', '明治44年3月15日'],
  ])('prints %s as %s', (iso, printed) => {
    expect(w(iso)).toBe(printed);
  });

  it('refuses a date before 1873, which has no Gregorian era date', () => {
    expect(() => w('1872-12-31')).toThrow(/before 1873-01-01/);
  });

  it('does not depend on the host ICU: 元年 is never printed as 1年', () => {
    expect(w('2019-05-01')).not.toContain('1年');
  });
});

describe('calendar dates', () => {
  it.each(['2025-02-30', '2023-02-29', '2025-13-01', '2025-00-10', '2025-1-01', '20250101', ''])('rejects %s', (s) => {
    expect(parseIsoDate(s)).toBeNull();
  });

  it('accepts 29 February of a leap year', () => {
    expect(parseIsoDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });
});

describe('age as the law counts it', () => {
  const age = (birth: string, on: string) => ageOn(parseIsoDate(birth)!, parseIsoDate(on)!);

  it('reaches an age on the day before the birthday', () => {
    expect(age('1955-04-02', '2025-04-01')).toBe(70);
    expect(age('1955-04-02', '2025-03-31')).toBe(69);
  });

  it('handles a 29 February birthday in a common year', () => {
    expect(age('1956-02-29', '2026-02-28')).toBe(70);
    expect(age('1956-02-29', '2026-02-27')).toBe(69);
  });
});
