import { z } from 'zod';
import { parseIsoDate, isoOf } from './dates.ts';
import { isValidInsurerNumber } from './insurer-number.ts';
import { inquiryCheckDigit } from './inquiry-number.ts';

// Characters that have no place in a printed field: C0/C1 controls and line or paragraph separators.
// Names are never Unicode-normalised: NFC would turn CJK compatibility ideographs (U+F900…) into other
// code points, which is a different character in a resident register.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/u;
const text = z.string().trim().min(1).regex(PRINTABLE);
const isoDate = z.string().refine((s) => {
  const d = parseIsoDate(s);
  return d !== null && isoOf(d) >= '1873-01-01';
});
// A 郵便番号 is read as 123-4567 or 1234567 and kept as its 7 digits (docs/spec/records.md, Mailing fields).
const postalCode = z
  .string()
  .trim()
  .regex(/^\d{3}-?\d{4}$/)
  .overwrite((s) => s.replace('-', ''));
const katakana = /^[\u30a1-\u30fa\u30fc\u30fb\u3000 ]+$/u;

/**
 * The shape of one record, field by field (docs/spec/records.md). Every field is optional here; which
 * ones a layout requires, and the rules across fields, are checked in validate/.
 */
export const recordSchema = z
  .strictObject({
    insurerNumber: z.string().refine(isValidInsurerNumber),
    insurerName: text,
    prefecture: text,
    insurerAddress: text,
    symbol: text,
    number: z.string().regex(/^\d+$/),
    branch: z.string().regex(/^\d{2}$/),
    name: text,
    nameKana: z.string().regex(katakana),
    sex: z.enum(['男', '女']),
    sexOnBack: z.boolean(),
    birthDate: isoDate,
    householderName: text,
    address: text,
    qualifiedDate: isoDate,
    issueDate: isoDate,
    expiryDate: isoDate,
    effectiveDate: isoDate,
    copayRate: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    relationship: z.enum(['本人', '家族']),
    specialCare: z.boolean(),
    remarks: z.string().regex(PRINTABLE),
    myNumberLast4: z
      .string()
      .regex(/^\d{4}$/)
      .nullable(),
    portalUrl: z.url({ protocol: /^https$/ }),
    ref: z.string().regex(/^[A-Za-z0-9._:/-]{1,64}$/),
    postalCode,
    mailingAddress: text,
    addressee: text,
    householdId: text,
    employerId: text,
    employerName: text,
    employerPostalCode: postalCode,
    employerAddress: text,
    envelopeCode: z.string().regex(/^[A-Z0-9]{4,8}\.\d{6}$/),
    registeredNumber: z
      .string()
      .trim()
      .regex(/^\d{3}-\d{2}-\d{5}-\d$|^\d{11}$/, 'expected 131-12-38385-2 or 11 digits')
      .transform((t) => t.replace(/-/g, ''))
      .refine((n) => n.at(-1) === inquiryCheckDigit(n.slice(0, 10)), 'its last digit is not the first ten modulo 7'),
  })
  .partial();

/** One insured person's record, as the contract defines it. */
export type InsuranceRecord = z.infer<typeof recordSchema>;
