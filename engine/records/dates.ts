/** A calendar date without time or zone: records carry dates, never instants. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD`; null when the text is not a real calendar date (2025-02-30 is not). */
export function parseIsoDate(text: string): CalendarDate | null {
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM-DD` of a calendar date; such strings compare in date order. */
export function isoOf(d: CalendarDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** The date `days` days after `d` (negative: before). */
export function addDays(d: CalendarDate, days: number): CalendarDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/**
 * The day a person born on `birth` reaches `age` in law. 年齢計算ニ関スル法律 counts age from the day of
 * birth, so an age is reached at the end of the day before the birthday: born 1955-04-01, 70 is reached on
 * 2025-03-31. A 29 February birthday in a common year falls back to 28 February's eve the same way.
 */
export function dayAgeReached(birth: CalendarDate, age: number): CalendarDate {
  const year = birth.year + age;
  const day = Math.min(birth.day, daysInMonth(year, birth.month));
  const birthday = { year, month: birth.month, day };
  // 29 Feb in a common year: the anniversary is 1 March, reached at the end of 28 Feb.
  if (birth.month === 2 && birth.day === 29 && day === 28) return birthday;
  return addDays(birthday, -1);
}

/** Age in completed years on `on`, counted as the law counts it (see dayAgeReached). */
export function ageOn(birth: CalendarDate, on: CalendarDate): number {
  let age = on.year - birth.year;
  while (age > 0 && isoOf(dayAgeReached(birth, age)) > isoOf(on)) age--;
  return age;
}

/** The first day of the month after the month of `d`. */
export function firstOfNextMonth(d: CalendarDate): CalendarDate {
  return d.month === 12 ? { year: d.year + 1, month: 1, day: 1 } : { year: d.year, month: d.month + 1, day: 1 };
}
