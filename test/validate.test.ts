import { describe, expect, it } from 'vitest';
import { loadLayouts, getLayout, validateRecords, PrintError, type RecordProblem, type Layout } from '../engine/index.ts';
import { VALID_KOKUHO_CARD } from './helpers/records.ts';

const kokuho = getLayout(loadLayouts(), 'kokuho-card');

const valid = VALID_KOKUHO_CARD;
const elderly = { ...valid, birthDate: '1954-09-10', effectiveDate: '2026-08-01', copayRate: 2 };

/** The problems validateRecords throws for `records`; fails the test when it does not throw. */
function problemsOf(records: unknown[], layout: Layout = kokuho): RecordProblem[] {
  try {
    validateRecords(records, layout);
  } catch (err) {
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).code).toBe('INVALID_INPUT');
    return [...(err as PrintError).problems];
  }
  throw new Error('expected the records to be rejected');
}

/** The single problem of one record with `change` applied to a valid record. */
function onlyProblem(change: Record<string, unknown>, base: Record<string, unknown> = valid): RecordProblem {
  const problems = problemsOf([{ ...base, ...change }]);
  expect(problems).toHaveLength(1);
  return problems[0]!;
}

describe('record validation for kokuho-card', () => {
  it('accepts a valid record, and a 70–74 holder with 負担割合 and 発効期日', () => {
    expect(validateRecords([valid, elderly], kokuho)).toHaveLength(2);
  });

  it('names a missing required field with the layout and what is expected', () => {
    const { address: _omit, ...noAddress } = valid;
    const p = onlyProblem({}, noAddress);
    expect(p).toMatchObject({ record: 1, path: 'address', label: '住所' });
    expect(p.message).toBe('required by layout kokuho-card: expected the address, a non-empty string, received nothing');
  });

  it('treats a blank required field as missing', () => {
    expect(onlyProblem({ name: '   ' }).message).toBe(
      `required by layout kokuho-card: expected the person's name, a non-empty string, received "   "`,
    );
  });

  it('reports an unknown field', () => {
    const p = onlyProblem({ birthdate: '1984-05-17' });
    expect(p.path).toBe('birthdate');
    expect(p.message).toMatch(/^unknown field/);
  });

  it('rejects a 保険者番号 with a wrong check digit', () => {
    const p = onlyProblem({ insurerNumber: '320037' });
    expect(p).toMatchObject({ path: 'insurerNumber', label: '保険者番号' });
    expect(p.message).toBe('expected 6 digits (国民健康保険) or 8 digits, the last one a valid check digit, received "320037"');
  });

  it('rejects an 8-digit 保険者番号 on a 国民健康保険 card', () => {
    expect(onlyProblem({ insurerNumber: '01130012' }).message).toBe('expected 6 digits for 国民健康保険, received "01130012" (8 digits)');
  });

  it('rejects a date that is not on the calendar', () => {
    const p = onlyProblem({ expiryDate: '2027-02-30' });
    expect(p.path).toBe('expiryDate');
    expect(p.message).toBe('expected a calendar date YYYY-MM-DD, 1873-01-01 or later, received "2027-02-30"');
  });

  it('rejects a birth date after 適用開始年月日', () => {
    expect(onlyProblem({ birthDate: '2020-01-01' }).message).toBe(
      'expected a date not after 適用開始年月日 2019-05-01, received "2020-01-01"',
    );
  });

  it('rejects an expiry not after the issue date', () => {
    expect(onlyProblem({ expiryDate: '2026-08-01' }).message).toBe('expected a date after 交付年月日 2026-08-01, received "2026-08-01"');
  });

  it('rejects a 発効期日 after 有効期限', () => {
    const p = onlyProblem({ effectiveDate: '2027-08-01' }, elderly);
    expect(p.path).toBe('effectiveDate');
    expect(p.message).toBe('expected a date not after 有効期限 2027-07-31, received "2027-08-01"');
  });

  it('rejects 負担割合 for a holder under 70 on 発効期日', () => {
    const p = onlyProblem({ birthDate: '1960-01-01' }, elderly);
    expect(p.path).toBe('copayRate');
    expect(p.message).toBe('set only for holders aged 70–74 on 発効期日 2026-08-01; the holder is 66: expected no copayRate, received 2');
  });

  it('rejects 負担割合 for a holder of 75, who belongs to 後期高齢者医療', () => {
    expect(onlyProblem({ birthDate: '1950-01-01' }, elderly).message).toMatch(/the holder is 76/);
  });

  it('requires 負担割合 for a holder aged 70–74', () => {
    const p = onlyProblem({ birthDate: '1954-09-10' });
    expect(p.path).toBe('copayRate');
    expect(p.message).toBe('required for a holder aged 70–74 (aged 71 on 交付年月日 2026-08-01): expected 2 or 3, received nothing');
  });

  it('requires 発効期日 whenever 負担割合 is set', () => {
    const { effectiveDate: _omit, ...noEffective } = elderly;
    expect(onlyProblem({}, noEffective)).toMatchObject({
      path: 'effectiveDate',
      message: 'required whenever 負担割合 is set: expected a date YYYY-MM-DD, received nothing',
    });
  });

  it('rejects a 発効期日 without 負担割合', () => {
    expect(onlyProblem({ effectiveDate: '2026-08-01' }).path).toBe('effectiveDate');
  });

  it('rejects 1割 on a 国民健康保険 card', () => {
    expect(onlyProblem({ copayRate: 1 }, elderly).message).toMatch(/^expected 2 or 3 for a holder aged 70–74/);
  });

  it('rejects a 負担割合 other than 1, 2 or 3', () => {
    expect(onlyProblem({ copayRate: '2' }, elderly).message).toBe('expected the integer 1, 2 or 3 (割), received "2"');
  });

  it.each([
    ['branch', '1', 'expected exactly 2 digits, 00 to 99, received "1"'],
    ['number', '12-34', 'expected digits only, leading zeros kept (後期高齢者: exactly 8 digits), received "12-34"'],
    ['sex', 'M', 'expected "男" or "女", received "M"'],
    ['nameKana', 'やまだ', 'expected full-width katakana, spaces allowed, received "やまだ"'],
    ['sexOnBack', 'yes', 'expected true or false, received "yes"'],
    ['name', '山田\n太郎', 'expected the person\'s name, a non-empty string, received "山田\\n太郎"'],
  ])('rejects %s = %j', (field, value, message) => {
    expect(onlyProblem({ [field]: value })).toMatchObject({ path: field, message });
  });

  it('lists every problem of every record, each naming its record by position, 記号 and 番号', () => {
    const problems = problemsOf([valid, { ...valid, branch: '1', sex: 'X' }, valid, { ...valid, number: '0099', insurerNumber: '320037' }]);
    expect(problems.map((p) => [p.record, p.path])).toEqual([
      [2, 'branch'],
      [2, 'sex'],
      [4, 'insurerNumber'],
    ]);
    expect(problems[0]!.recordLabel).toBe('record 2 (記号 出雲12 番号 0034567)');
    expect(problems[2]!.recordLabel).toBe('record 4 (記号 出雲12 番号 0099)');
  });

  it('rejects a record that is not an object', () => {
    expect(problemsOf(['山田'])[0]).toMatchObject({
      record: 1,
      path: '(record)',
      message: 'expected an object of fields, received "山田"',
    });
  });

  it('rejects an empty batch', () => {
    expect(() => validateRecords([], kokuho)).toThrow(/no records/);
  });

  it('keeps names exactly as given: no Unicode normalisation of compatibility ideographs or IVS', () => {
    const name = '\uF929田 葛\u{E0100}城';
    const [r] = validateRecords([{ ...valid, name }], kokuho);
    expect(r!.name).toBe(name);
  });
});
