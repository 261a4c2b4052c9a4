// お問い合わせ番号 of registered and recorded mail (docs/spec/mailing.md): 10 digits and the first ten modulo 7.
import { describe, expect, it } from 'vitest';
import { formatInquiry, inquiryCheckDigit, parseInquiry } from '../engine/records/inquiry-number.ts';
import { parseBand, rangesOf, takeNumbers } from '../engine/mail/number-band.ts';

describe('an お問い合わせ番号', () => {
  it("has the first ten digits modulo 7 as its check digit: Japan Post's 131-12-38385-2", () => {
    expect(inquiryCheckDigit('1311238385')).toBe('2');
    expect(parseInquiry('131-12-38385-2')).toBe('13112383852');
    expect(parseInquiry('13112383852')).toBe('13112383852');
    expect(formatInquiry('13112383852')).toBe('131-12-38385-2');
  });

  it('is refused with a wrong check digit or in another shape, naming what was given', () => {
    expect(() => parseInquiry('131-12-38385-3')).toThrow(/check digit is 2/);
    expect(() => parseInquiry('131-1238385-2')).toThrow(/131-12-38385-2 or as 11 digits, not "131-1238385-2"/);
    expect(() => parseInquiry('1311238385')).toThrow(/11 digits/);
  });
});

describe('a band of numbers', () => {
  it('is FIRST or FIRST-LAST, each written either way', () => {
    expect(parseBand('131-12-38385-2')).toEqual({ first: '13112383852' });
    expect(parseBand('131-12-38385-2-131-12-38684-0')).toEqual({ first: '13112383852', last: '13112386840' });
    expect(parseBand('13112383852-13112386840')).toEqual({ first: '13112383852', last: '13112386840' });
    expect(() => parseBand('131-12-38684-0-131-12-38385-2')).toThrow(/ends .* before it begins/);
    expect(() => parseBand('131-12-38385')).toThrow(/FIRST or FIRST-LAST/);
  });

  it('gives the next numbers in order, each with its check digit, after the ones used', () => {
    const band = parseBand('131-12-38385-2-131-12-38684-0');
    const first = takeNumbers(band, 3);
    expect(first.map(formatInquiry)).toEqual(['131-12-38385-2', '131-12-38386-3', '131-12-38387-4']);
    expect(takeNumbers(band, 2, rangesOf(first)).map(formatInquiry)).toEqual(['131-12-38388-5', '131-12-38389-6']);
    for (const n of takeNumbers(band, 300)) expect(parseInquiry(n)).toBe(n);
  });

  it('never gives a number another run used, wherever it lies in the band (skipping past ranges, before and after)', () => {
    const band = parseBand('131-12-38385-2-131-12-38394-4'); // 10 numbers
    const used = [
      ...rangesOf(['13112383874', '13112383885']), // 38387, 38388
      { first: '13112383700', last: '13112383863' }, // from before the band through 38386
      { first: '13112383922', last: '13112383922' }, // 38392
    ];
    expect(takeNumbers(band, 4, used).map((n) => n.slice(5, 10))).toEqual(['38389', '38390', '38391', '38393']);
    expect(() => takeNumbers(band, 6, used)).toThrow(/has 5 numbers left, the run needs 6/);
    expect(rangesOf(['13112383885', '13112383874', '13112383900'])).toEqual([
      { first: '13112383874', last: '13112383885' },
      { first: '13112383900', last: '13112383900' },
    ]);
  });

  it('refuses a run that needs more numbers than the band has left, saying how many', () => {
    const band = parseBand('131-12-38385-2-131-12-38684-0'); // 300 numbers
    expect(takeNumbers(band, 300)).toHaveLength(300);
    expect(() => takeNumbers(band, 301)).toThrow(/has 300 numbers left, the run needs 301/);
    expect(() => takeNumbers(band, 2, [{ first: '13112383852', last: '13112386836' }])).toThrow(/has 1 number left, the run needs 2/);
  });
});
