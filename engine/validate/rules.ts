import type { InsuranceRecord } from '../records/schema.ts';
import { ageOn, parseIsoDate, type CalendarDate } from '../records/dates.ts';

/** A problem before it is tied to its record: the field and what is wrong with it. */
export interface FieldProblem {
  /** A field name, or `(record)` for the record as a whole. */
  path: string;
  message: string;
}

type Scheme = 'kokuho' | 'kouki' | 'kenpo';

const date = (s: string): CalendarDate => parseIsoDate(s) as CalendarDate; // already shape-checked

/**
 * Rules across fields (docs/spec/records.md, "What a record must satisfy"), run on a record whose
 * fields each have the right shape. ISO dates compare as strings.
 */
export function crossFieldProblems(r: InsuranceRecord, scheme: Scheme): FieldProblem[] {
  const out: FieldProblem[] = [];
  const add = (path: string, message: string) => out.push({ path, message });

  if (r.insurerNumber !== undefined) {
    const want = scheme === 'kokuho' ? 6 : 8;
    if (r.insurerNumber.length !== want) {
      add(
        'insurerNumber',
        `expected ${want} digits for ${schemeName(scheme)}, received "${r.insurerNumber}" (${r.insurerNumber.length} digits)`,
      );
    }
  }
  if (scheme === 'kouki' && r.insurerNumber !== undefined && r.insurerNumber.length === 8 && !r.insurerNumber.startsWith('39')) {
    add('insurerNumber', `expected a 後期高齢者医療 number starting with 39 (法別番号), received "${r.insurerNumber}"`);
  }
  if (scheme === 'kouki' && r.number !== undefined && !/^\d{8}$/.test(r.number)) {
    add('number', `expected exactly 8 digits (被保険者番号), received "${r.number}"`);
  }
  if (r.birthDate && r.qualifiedDate && r.birthDate > r.qualifiedDate) {
    add('birthDate', `expected a date not after 適用開始年月日 ${r.qualifiedDate}, received "${r.birthDate}"`);
  }
  if (r.issueDate && r.expiryDate && r.issueDate >= r.expiryDate) {
    add('expiryDate', `expected a date after 交付年月日 ${r.issueDate}, received "${r.expiryDate}"`);
  }
  if (r.effectiveDate && r.expiryDate && r.effectiveDate > r.expiryDate) {
    add('effectiveDate', `expected a date not after 有効期限 ${r.expiryDate}, received "${r.effectiveDate}"`);
  }
  if (r.postalCode !== undefined && r.mailingAddress === undefined && r.address === undefined) {
    add('mailingAddress', 'a 宛名 with 郵便番号 needs its address: expected mailingAddress (or address), received nothing');
  }
  if (r.employerPostalCode !== undefined && r.employerAddress === undefined) {
    add('employerAddress', "the employer's 宛名 with 事業所郵便番号 needs its address: expected employerAddress, received nothing");
  }
  out.push(...copayProblems(r, scheme));
  return out;
}

/**
 * 負担割合 and 発効期日. Under 国保 and 健康保険 they are printed only for holders aged 70 to 74
 * (高齢受給者: 2割, or 3割 for 現役並み所得者); at 75 everyone moves to 後期高齢者医療, whose cards always
 * carry 1, 2 or 3割 and a 発効期日.
 */
function copayProblems(r: InsuranceRecord, scheme: Scheme): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (scheme === 'kouki') {
    if (r.copayRate === undefined)
      out.push({ path: 'copayRate', message: 'required on every 後期高齢者医療 document: expected 1, 2 or 3, received nothing' });
    if (r.effectiveDate === undefined)
      out.push({
        path: 'effectiveDate',
        message: 'required on every 後期高齢者医療 document: expected a date YYYY-MM-DD, received nothing',
      });
    return out;
  }
  if (r.copayRate === undefined) {
    if (r.effectiveDate !== undefined) {
      out.push({
        path: 'effectiveDate',
        message: `printed only with 負担割合 (holders aged 70–74): expected no 発効期日 without copayRate, received "${r.effectiveDate}"`,
      });
    }
    if (r.birthDate && r.issueDate) {
      const age = ageOn(date(r.birthDate), date(r.issueDate));
      if (age >= 70 && age <= 74) {
        out.push({
          path: 'copayRate',
          message: `required for a holder aged 70–74 (aged ${age} on 交付年月日 ${r.issueDate}): expected 2 or 3, received nothing`,
        });
      }
    }
    return out;
  }
  if (r.copayRate === 1) {
    out.push({
      path: 'copayRate',
      message: 'expected 2 or 3 for a holder aged 70–74 under 国保 or 健康保険 (1割 is 後期高齢者医療 only), received 1',
    });
  }
  if (r.effectiveDate === undefined) {
    out.push({ path: 'effectiveDate', message: 'required whenever 負担割合 is set: expected a date YYYY-MM-DD, received nothing' });
  } else if (r.birthDate) {
    const age = ageOn(date(r.birthDate), date(r.effectiveDate));
    if (age < 70 || age > 74) {
      out.push({
        path: 'copayRate',
        message: `set only for holders aged 70–74 on 発効期日 ${r.effectiveDate}; the holder is ${age}: expected no copayRate, received ${r.copayRate}`,
      });
    }
  }
  return out;
}

function schemeName(scheme: Scheme): string {
  return { kokuho: '国民健康保険', kouki: '後期高齢者医療', kenpo: '健康保険' }[scheme];
}
