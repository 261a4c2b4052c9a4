/**
 * The record contract's fields (docs/spec/records.md) in one table: the name printed on the documents,
 * what a valid value is (said in every error message), and how a CSV cell is read.
 * Field names are a public contract: add, never rename.
 */
export const FIELDS = {
  insurerNumber: { label: '保険者番号', kind: 'string', expected: '6 digits (国民健康保険) or 8 digits, the last one a valid check digit' },
  insurerName: { label: '交付者名', kind: 'string', expected: 'the issuer name, a non-empty string' },
  prefecture: { label: '都道府県', kind: 'string', expected: 'the prefecture, e.g. 島根県' },
  insurerAddress: { label: '保険者所在地', kind: 'string', expected: "the insurer's address, a non-empty string" },
  symbol: { label: '記号', kind: 'string', expected: 'the symbol, a non-empty string' },
  number: { label: '番号', kind: 'string', expected: 'digits only, leading zeros kept (後期高齢者: exactly 8 digits)' },
  branch: { label: '枝番', kind: 'string', expected: 'exactly 2 digits, 00 to 99' },
  name: { label: '氏名', kind: 'string', expected: "the person's name, a non-empty string" },
  nameKana: { label: 'フリガナ', kind: 'string', expected: 'full-width katakana, spaces allowed' },
  sex: { label: '性別', kind: 'string', expected: '"男" or "女"' },
  sexOnBack: { label: '性別の裏面記載', kind: 'boolean', expected: 'true or false' },
  birthDate: { label: '生年月日', kind: 'string', expected: 'a calendar date YYYY-MM-DD, 1873-01-01 or later' },
  householderName: { label: '世帯主氏名', kind: 'string', expected: "the householder's name, a non-empty string" },
  address: { label: '住所', kind: 'string', expected: 'the address, a non-empty string' },
  qualifiedDate: { label: '適用開始年月日', kind: 'string', expected: 'a calendar date YYYY-MM-DD, 1873-01-01 or later' },
  issueDate: { label: '交付年月日', kind: 'string', expected: 'a calendar date YYYY-MM-DD, 1873-01-01 or later' },
  expiryDate: { label: '有効期限', kind: 'string', expected: 'a calendar date YYYY-MM-DD, 1873-01-01 or later' },
  effectiveDate: { label: '発効期日', kind: 'string', expected: 'a calendar date YYYY-MM-DD, 1873-01-01 or later' },
  copayRate: { label: '負担割合', kind: 'integer', expected: 'the integer 1, 2 or 3 (割)' },
  relationship: { label: '本人・家族の別', kind: 'string', expected: '"本人" or "家族"' },
  specialCare: { label: '特別療養費', kind: 'boolean', expected: 'true or false' },
  remarks: { label: '備考', kind: 'string', expected: 'a string' },
  myNumberLast4: { label: '個人番号下4桁', kind: 'nullable-string', expected: '4 digits, or null when not registered' },
  portalUrl: { label: 'QRコードのURL', kind: 'string', expected: 'an https:// URL' },
  ref: {
    label: '整理番号',
    kind: 'string',
    expected: "the caller's own id of the record, never printed: 1 to 64 letters, digits or . _ : / -",
  },
  // Mailing fields (docs/spec/records.md, "Mailing fields"): the 宛名 of an envelope and its grouping.
  postalCode: { label: '郵便番号', kind: 'string', expected: '7 digits, hyphen optional: 123-4567 or 1234567' },
  mailingAddress: { label: '送付先住所', kind: 'string', expected: 'the address mail goes to (住所 when left out), a non-empty string' },
  addressee: { label: '宛名', kind: 'string', expected: 'the name mail is addressed to (様), a non-empty string' },
  householdId: {
    label: '世帯番号',
    kind: 'string',
    expected: "never printed: the household's own id, which groups its records into one envelope",
  },
  employerId: {
    label: '事業所番号',
    kind: 'string',
    expected: "never printed: the employer's own id, which groups its employees' records into one envelope",
  },
  envelopeCode: {
    label: '封入番号',
    kind: 'string',
    expected:
      'never printed: the envelope a reprint keeps, RUN.ENVELOPE of its matching codes (mailing verify --reprint), e.g. K7Q2AB.000012',
  },
  registeredNumber: {
    label: 'お問い合わせ番号',
    kind: 'string',
    expected:
      "the registered-mail number its envelope keeps (a reprint's, from the manifest), 131-12-38385-2 or 11 digits, the last the first ten modulo 7",
  },
  employerName: { label: '事業所名称', kind: 'string', expected: "the employer's name (御中), a non-empty string" },
  employerPostalCode: { label: '事業所郵便番号', kind: 'string', expected: '7 digits, hyphen optional: 123-4567 or 1234567' },
  employerAddress: { label: '事業所所在地', kind: 'string', expected: "the employer's address, a non-empty string" },
} as const satisfies Record<string, FieldInfo>;

/** What the engine knows of one field. */
export interface FieldInfo {
  label: string;
  kind: 'string' | 'boolean' | 'integer' | 'nullable-string';
  expected: string;
}

/** A field name of the record contract. */
export type FieldName = keyof typeof FIELDS;

/** Every field name, in contract order. */
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** Whether `name` is a field of the contract. */
export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(FIELDS, name);
}
