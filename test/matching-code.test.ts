// The insertion matching code (docs/spec/interfaces.md, Mailing): `RUN.ENVELOPE.SHEET.SHEETS` and nothing
// else, refused when it cannot say what it must, and its DataMatrix.
import { describe, expect, it } from 'vitest';
import { dataMatrix, matchingCode, parseMatchingCode, runIdOf } from '../engine/mail/matching-code.ts';

describe('a matching code', () => {
  it('reads RUN.ENVELOPE.SHEET.SHEETS: 6 digits of envelope, 2 of sheet and of sheets', () => {
    expect(matchingCode({ run: 'K7Q2AB', envelope: 12, sheet: 1, sheets: 3 })).toBe('K7Q2AB.000012.01.03');
    expect(matchingCode({ run: 'ABCD', envelope: 999_999, sheet: 99, sheets: 99 })).toBe('ABCD.999999.99.99');
  });

  it('is read back, and text that is not one is not', () => {
    expect(parseMatchingCode('K7Q2AB.000012.01.03')).toEqual({ run: 'K7Q2AB', envelope: 12, sheet: 1, sheets: 3 });
    for (const bad of ['K7Q2AB.12.01.03', 'k7q2ab.000012.01.03', 'ABC.000001.01.01', 'K7Q2AB.000012.01', '山田.000001.01.01', ''])
      expect(parseMatchingCode(bad)).toBeNull();
  });

  it('refuses a run id, an envelope or a sheet count it cannot hold, saying which', () => {
    expect(() => matchingCode({ run: 'abc', envelope: 1, sheet: 1, sheets: 1 })).toThrow(/run id/);
    expect(() => matchingCode({ run: 'ABCD', envelope: 1_000_000, sheet: 1, sheets: 1 })).toThrow(/1 to 999999/);
    expect(() => matchingCode({ run: 'ABCD', envelope: 1, sheet: 2, sheets: 1 })).toThrow(/1 to 99 sheets/);
    expect(() => matchingCode({ run: 'ABCD', envelope: 1, sheet: 1, sheets: 100 })).toThrow(/1 to 99 sheets/);
  });

  it('gets a run id from what the run prints: the same input the same id, another input another', () => {
    const a = runIdOf('["kokuho-notice","household","postal",[{"name":"山田 太郎"}]]');
    expect(a).toMatch(/^[A-Z0-9]{6}$/);
    expect(runIdOf('["kokuho-notice","household","postal",[{"name":"山田 太郎"}]]')).toBe(a);
    expect(runIdOf('["kokuho-notice","household","postal",[{"name":"山田 次郎"}]]')).not.toBe(a);
  });

  it('is an 18 × 18 DataMatrix with its L-shaped finder (solid left and bottom, alternating top and right)', () => {
    const m = dataMatrix('K7Q2AB.000012.01.03');
    expect([m.columns, m.rows]).toEqual([18, 18]);
    for (let i = 0; i < 18; i++) {
      expect(m.dark(0, i)).toBe(true);
      expect(m.dark(i, 17)).toBe(true);
      expect(m.dark(i, 0)).toBe(i % 2 === 0);
      expect(m.dark(17, i)).toBe(i % 2 === 1);
    }
  });
});
