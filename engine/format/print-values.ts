import type { InsuranceRecord } from '../records/schema.ts';
import { parseIsoDate } from './dates.ts';
import { formatWareki, toWareki, eraYearText } from './wareki.ts';

/** A date as the templates print it: whole (令和8年7月31日) or in parts for boxed forms. */
export interface PrintedDate {
  text: string;
  era: string;
  year: string;
  month: string;
  day: string;
}

/** What a template sees of one record: every value already in its printed form. */
export interface PrintValues {
  index: number;
  insurerNumber: string;
  insurerName: string;
  prefecture: string;
  insurerAddress: string;
  symbol: string;
  number: string;
  branch: string;
  name: string;
  nameKana: string;
  /** 性別 as printed in its box: 男, 女, or 裏面参照 when the holder asked for it on the back. */
  sex: string;
  /** The 備考 line for sexOnBack: 戸籍上の性別は男 (or 女). */
  sexRemark: string;
  birthDate: PrintedDate | null;
  householderName: string;
  address: string;
  qualifiedDate: PrintedDate | null;
  issueDate: PrintedDate | null;
  expiryDate: PrintedDate | null;
  effectiveDate: PrintedDate | null;
  /** 負担割合 as the digit before 割, or empty when not printed. */
  copayRate: string;
  relationship: string;
  specialCare: boolean;
  remarks: string;
}

function printedDate(iso: string | undefined): PrintedDate | null {
  if (iso === undefined) return null;
  const d = parseIsoDate(iso);
  if (!d) throw new RangeError(`not a calendar date: ${iso}`);
  const w = toWareki(d);
  return { text: formatWareki(d), era: w.era, year: eraYearText(w.eraYear), month: String(w.month), day: String(w.day) };
}

/** Turns a validated record into the values its template prints. */
export function toPrintValues(r: InsuranceRecord, index: number): PrintValues {
  return {
    index,
    insurerNumber: r.insurerNumber ?? '',
    insurerName: r.insurerName ?? '',
    prefecture: r.prefecture ?? '',
    insurerAddress: r.insurerAddress ?? '',
    symbol: r.symbol ?? '',
    number: r.number ?? '',
    branch: r.branch ?? '',
    name: r.name ?? '',
    nameKana: r.nameKana ?? '',
    sex: r.sexOnBack ? '裏面参照' : (r.sex ?? ''),
    sexRemark: r.sexOnBack && r.sex ? `戸籍上の性別は${r.sex}` : '',
    birthDate: printedDate(r.birthDate),
    householderName: r.householderName ?? '',
    address: r.address ?? '',
    qualifiedDate: printedDate(r.qualifiedDate),
    issueDate: printedDate(r.issueDate),
    expiryDate: printedDate(r.expiryDate),
    effectiveDate: printedDate(r.effectiveDate),
    copayRate: r.copayRate === undefined ? '' : String(r.copayRate),
    relationship: r.relationship ?? '',
    specialCare: r.specialCare ?? false,
    remarks: r.remarks ?? '',
  };
}
