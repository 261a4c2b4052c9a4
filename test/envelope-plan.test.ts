// The envelope plan of a mailing run (engine/mail/envelope-plan.ts; the mailing issue's Done-when points):
// which records share an envelope (a 国保 household, a person, an employer), to whom it goes, the order the
// envelopes come off the printer, and the problems that keep a run from being mailed, by record and field.
import { describe, expect, it } from 'vitest';
import { recordSchema, type InsuranceRecord } from '../engine/index.ts';
import { planEnvelopes, type PlannedEnvelope } from '../engine/mail/envelope-plan.ts';
import { inPostalOrder, kenpoEmployees, kokuhoHouseholds } from './helpers/mail-records.ts';

/** A record as validation leaves it (postal codes as 7 digits). */
const rec = (fields: Record<string, unknown>): InsuranceRecord => recordSchema.parse(fields);

const IMAICHI = '島根県出雲市今市町1234番地5';
const OTSU = '島根県出雲市大津町12番地';

/** A 国保 member: householder 山田 太郎 at 今市町 unless `fields` say otherwise. */
const member = (name: string, fields: Record<string, unknown> = {}) =>
  rec({ name, householderName: '山田 太郎', address: IMAICHI, postalCode: '693-0001', ...fields });

/** A 協会けんぽ employee of employer E-1 unless `fields` say otherwise. */
const employee = (name: string, fields: Record<string, unknown> = {}) =>
  rec({
    name,
    address: OTSU,
    postalCode: '6930011',
    employerId: 'E-1',
    employerName: '株式会社 出雲印刷',
    employerPostalCode: '693-0011',
    employerAddress: '島根県出雲市大津町1234番地 出雲ビル3階',
    ...fields,
  });

const recordsOf = (envelopes: PlannedEnvelope[]) => envelopes.map((e) => e.records);

describe('grouping into envelopes', () => {
  it('household: records with one householdId share an envelope, whatever their 世帯主氏名 or order in the input', () => {
    const records = [
      member('山田 太郎', { householdId: 'H1' }),
      member('佐藤 一郎', { householdId: 'H2', householderName: '佐藤 一郎', address: OTSU, postalCode: '6930011' }),
      member('山田 花子', { householdId: 'H1', householderName: '山田 花' }), // a misspelt 世帯主氏名: the id decides
      member('山田 次郎', { householdId: 'H1' }),
    ];
    const plan = planEnvelopes(records, 'household', 'input');
    expect(plan.problems).toEqual([]);
    expect(recordsOf(plan.envelopes)).toEqual([[0, 2, 3], [1]]);
  });

  it('household: without a householdId, by 世帯主氏名 and address; one 世帯主氏名 at two addresses is two households', () => {
    const records = [
      member('山田 太郎'),
      member('山田 太郎', { address: OTSU, postalCode: '6930011' }), // another 山田 太郎, at 大津町
      member('山田 花子'),
      member('山田 一郎', { address: OTSU, postalCode: '6930011' }),
      member('鈴木 恵子', { householderName: '鈴木 恵子' }), // another household at the same address
    ];
    const plan = planEnvelopes(records, 'household', 'input');
    expect(plan.problems).toEqual([]);
    expect(recordsOf(plan.envelopes)).toEqual([[0, 2], [1, 3], [4]]);
  });

  it('household: the address that groups is mailingAddress when given, else address', () => {
    const records = [
      member('山田 太郎', { mailingAddress: OTSU, postalCode: '6930011' }),
      member('山田 花子', { address: '島根県出雲市今市町1番地', mailingAddress: OTSU, postalCode: '6930011' }),
      member('山田 一郎', { mailingAddress: OTSU, address: OTSU, postalCode: '6930011' }),
      member('山田 次郎', { postalCode: '6930011', address: OTSU }),
    ];
    const plan = planEnvelopes(records, 'household', 'input');
    expect(plan.problems).toEqual([]);
    // All four are mailed to 大津町: one household, one envelope to OTSU.
    expect(recordsOf(plan.envelopes)).toEqual([[0, 1, 2, 3]]);
    expect(plan.envelopes[0]?.to.address).toBe(OTSU);
  });

  it('person: one envelope per record, even for members of one household', () => {
    const records = [member('山田 太郎', { householdId: 'H1' }), member('山田 花子', { householdId: 'H1' }), member('山田 一郎')];
    const plan = planEnvelopes(records, 'person', 'input');
    expect(plan.problems).toEqual([]);
    expect(recordsOf(plan.envelopes)).toEqual([[0], [1], [2]]);
  });

  it("employer: one envelope per employerId, at the employer's postal code and address, whatever the employees' own", () => {
    const records = [
      employee('協会 太郎'),
      employee('石田 誠', {
        employerId: 'E-2',
        employerName: '有限会社 大社工務店',
        employerPostalCode: '6990701',
        employerAddress: '島根県出雲市大社町杵築南1338番地',
      }),
      employee('協会 花子', { postalCode: '6900001', address: '島根県松江市東朝日町1番地' }),
    ];
    const plan = planEnvelopes(records, 'employer', 'input');
    expect(plan.problems).toEqual([]);
    expect(recordsOf(plan.envelopes)).toEqual([[0, 2], [1]]);
    expect(plan.envelopes[0]?.to).toEqual({
      postalCode: '6930011',
      address: '島根県出雲市大津町1234番地 出雲ビル3階',
      name: '株式会社 出雲印刷',
      honorific: '御中',
    });
  });

  it('every record is in exactly one envelope, and an envelope keeps its records in input order (1,000 generated 国保 records)', () => {
    const { records, households } = kokuhoHouseholds(1000);
    const plan = planEnvelopes(records.map(rec), 'household', 'postal');
    expect(plan.problems).toEqual([]);
    const all = plan.envelopes.flatMap((e) => e.records);
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    for (const e of plan.envelopes) expect(e.records).toEqual([...e.records].sort((a, b) => a - b));
    // The households the generator made, in postal order, and nothing else.
    expect(recordsOf(plan.envelopes)).toEqual(inPostalOrder(households).map((h) => h.members));
    expect(plan.envelopes.map((e) => e.to.name)).toEqual(inPostalOrder(households).map((h) => h.addressee));
    // The generator's households are split across the input and share addresses: the test is not trivial.
    expect(households.some((h) => h.members.some((m, i) => i > 0 && m !== (h.members[i - 1] as number) + 1))).toBe(true);
  });

  it('employer: 1,000 generated employees of 30 employers, mixed in the input, go to their 30 employers', () => {
    const { records, employers } = kenpoEmployees(1000, 30);
    const plan = planEnvelopes(records.map(rec), 'employer', 'postal');
    expect(plan.problems).toEqual([]);
    expect(recordsOf(plan.envelopes)).toEqual(inPostalOrder(employers).map((e) => e.members));
  });
});

describe('the order of the envelopes', () => {
  // Input order: 大津町 (693-0011), 今市町 1234 (693-0001), 松江 (690-0001), 今市町 1234 again (another
  // household), 今市町 1000 (693-0001, an address before 今市町1234).
  const records = [
    member('佐藤 一郎', { householderName: '佐藤 一郎', address: OTSU, postalCode: '6930011' }),
    member('山田 太郎'),
    member('松本 京子', { householderName: '松本 京子', address: '島根県松江市東朝日町1番地', postalCode: '6900001' }),
    member('鈴木 恵子', { householderName: '鈴木 恵子' }),
    member('山田 花子'),
    member('森田 直樹', { householderName: '森田 直樹', address: '島根県出雲市今市町1000番地' }),
  ];

  it('postal: by postal code, then address, then where the envelope first appears in the input', () => {
    const plan = planEnvelopes(records, 'household', 'postal');
    expect(recordsOf(plan.envelopes)).toEqual([[2], [5], [1, 4], [3], [0]]);
    expect(plan.envelopes.map((e) => e.to.postalCode)).toEqual(['6900001', '6930001', '6930001', '6930001', '6930011']);
  });

  it('input: as the input first names each envelope', () => {
    const plan = planEnvelopes(records, 'household', 'input');
    expect(recordsOf(plan.envelopes)).toEqual([[0], [1, 4], [2], [3], [5]]);
  });

  it('postal, person by person: the same order rules, one record each', () => {
    const plan = planEnvelopes(records, 'person', 'postal');
    expect(recordsOf(plan.envelopes)).toEqual([[2], [5], [1], [3], [4], [0]]);
  });
});

describe('the addressee', () => {
  it('household: the 世帯主 with 様, unless the record gives an addressee; the member’s own name when there is no 世帯主氏名', () => {
    const plan = planEnvelopes(
      [
        member('山田 花子'),
        member('鈴木 恵子', { householderName: '鈴木 一郎', addressee: '鈴木 恵子 様方 田中 京子', address: OTSU, postalCode: '6930011' }),
        member('森田 直樹', { householderName: undefined, householdId: 'H9', address: OTSU, postalCode: '6930011' }),
      ],
      'household',
      'input',
    );
    expect(plan.problems).toEqual([]);
    expect(plan.envelopes.map((e) => [e.to.name, e.to.honorific])).toEqual([
      ['山田 太郎', '様'],
      ['鈴木 恵子 様方 田中 京子', '様'],
      ['森田 直樹', '様'],
    ]);
    expect(plan.envelopes[0]?.to).toEqual({ postalCode: '6930001', address: IMAICHI, name: '山田 太郎', honorific: '様' });
  });

  it('household: the envelope goes to the addressee of its first record', () => {
    const plan = planEnvelopes([member('山田 花子', { addressee: '山田 花子' }), member('山田 太郎')], 'household', 'input');
    expect(plan.envelopes.map((e) => [e.records, e.to.name])).toEqual([[[0, 1], '山田 花子']]);
  });

  it('person: the person, not the 世帯主, with 様', () => {
    const plan = planEnvelopes([member('山田 花子'), member('山田 一郎', { addressee: '山田 太郎' })], 'person', 'input');
    expect(plan.envelopes.map((e) => [e.to.name, e.to.honorific])).toEqual([
      ['山田 花子', '様'],
      ['山田 太郎', '様'],
    ]);
  });

  it('employer: the employer name with 御中', () => {
    const plan = planEnvelopes([employee('協会 太郎', { addressee: '協会 太郎' })], 'employer', 'input');
    expect(plan.envelopes.map((e) => [e.to.name, e.to.honorific])).toEqual([['株式会社 出雲印刷', '御中']]);
  });
});

describe('problems that keep a run from being mailed', () => {
  it('names the record (0-based index) and the field: no postal code, no address, no household', () => {
    const plan = planEnvelopes(
      [
        member('山田 太郎'),
        member('山田 花子', { postalCode: undefined }),
        member('佐藤 一郎', { householderName: undefined, address: undefined }),
      ],
      'household',
      'input',
    );
    expect(plan.problems.map((p) => [p.index, p.path])).toEqual([
      [1, 'postalCode'],
      [2, 'mailingAddress'],
      [2, 'householdId'],
    ]);
    for (const p of plan.problems) expect(p.message).toMatch(/^a mailing run needs .+: expected it, received nothing$/);
    // The records with problems are in no envelope.
    expect(recordsOf(plan.envelopes)).toEqual([[0]]);
  });

  it('person: no postal code is a problem too; a missing 世帯主氏名 is not', () => {
    const plan = planEnvelopes([member('山田 花子', { postalCode: undefined, householderName: undefined })], 'person', 'input');
    expect(plan.problems.map((p) => [p.index, p.path])).toEqual([[0, 'postalCode']]);
  });

  it('employer: no employerId, and each missing employer field, by record', () => {
    const plan = planEnvelopes(
      [employee('協会 太郎'), employee('協会 花子', { employerId: undefined }), employee('協会 一郎', { employerPostalCode: undefined })],
      'employer',
      'input',
    );
    expect(plan.problems.map((p) => [p.index, p.path])).toEqual([
      [1, 'employerId'],
      [2, 'employerPostalCode'],
    ]);
    expect(recordsOf(plan.envelopes)).toEqual([[0]]);
  });

  it('a member whose postal code differs from the first record of its household: that member, postalCode, naming the first record', () => {
    const plan = planEnvelopes(
      [
        member('佐藤 一郎', { householderName: '佐藤 一郎', householdId: 'H2', address: OTSU, postalCode: '6930011' }),
        member('山田 太郎', { householdId: 'H1' }),
        member('山田 花子', { householdId: 'H1' }),
        member('山田 一郎', { householdId: 'H1', postalCode: '6930002' }),
      ],
      'household',
      'input',
    );
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]).toMatchObject({ index: 3, path: 'postalCode' });
    // Record numbers in messages are 1-based: the household's first record is the input's second.
    expect(plan.problems[0]?.message).toContain('record 2 of the same envelope');
    expect(recordsOf(plan.envelopes)).toEqual([[0], [1, 2]]);
  });

  it('a member whose address differs (same postal code, same householdId) is a problem too, never a guess', () => {
    const plan = planEnvelopes(
      [member('山田 太郎', { householdId: 'H1' }), member('山田 花子', { householdId: 'H1', address: '島根県出雲市今市町1番地' })],
      'household',
      'input',
    );
    expect(plan.problems.map((p) => p.index)).toEqual([1]);
    expect(plan.problems[0]?.message).toContain('record 1 of the same envelope');
  });

  it('an employee whose employer address differs from the first of that employerId: employerAddress', () => {
    const plan = planEnvelopes(
      [employee('協会 太郎'), employee('協会 花子', { employerAddress: '島根県出雲市大津町1番地' })],
      'employer',
      'input',
    );
    expect(plan.problems.map((p) => [p.index, p.path])).toEqual([[1, 'employerAddress']]);
  });
});
