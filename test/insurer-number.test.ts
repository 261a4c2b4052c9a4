import { describe, expect, it } from 'vitest';
import { insurerCheckDigit, isValidInsurerNumber } from '../engine/index.ts';

describe('保険者番号 check digit', () => {
  it.each(['01130012', '39131156', '320036'])('accepts %s, whose last digit is its check digit', (n) => {
    expect(isValidInsurerNumber(n)).toBe(true);
  });

  it('computes the check digit of 32003 as 6 and of 3913115 as 6', () => {
    expect(insurerCheckDigit('32003')).toBe(6);
    expect(insurerCheckDigit('3913115')).toBe(6);
    expect(insurerCheckDigit('0113001')).toBe(2);
  });

  it.each(['320037', '01130013', '39131150'])('rejects %s, whose check digit is wrong', (n) => {
    expect(isValidInsurerNumber(n)).toBe(false);
  });

  it.each(['32003', '3200366', '0113001２', '32003a', ''])('rejects %s, which is not 6 or 8 ASCII digits', (n) => {
    expect(isValidInsurerNumber(n)).toBe(false);
  });
});
