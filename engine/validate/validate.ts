import { PrintError, type RecordProblem } from '../errors.ts';
import { FIELDS, FIELD_NAMES, isFieldName, type FieldName } from '../records/fields.ts';
import { recordSchema, type InsuranceRecord } from '../records/schema.ts';
import type { Layout } from '../layouts/layouts.ts';
import { crossFieldProblems, type FieldProblem } from './rules.ts';
import { UnreadableRecord } from '../records/unreadable-record.ts';
import { fontForText, pinnedCoverage, type GlyphCoverage } from '../fonts/glyph-coverage.ts';
import { NO_INSURERS, type Insurers } from '../insurers/profiles.ts';
import { cardCodeOf, DEFAULT_PORTAL_URL, CARD_CODE_QR, qrFits, qrModuleMm, portalQrSize } from './codes.ts';

/** What checking a record needs besides the record and its layout. */
export interface CheckOptions {
  /** The glyphs the pinned fonts draw; read from the fonts when left out. */
  coverage?: GlyphCoverage | undefined;
  /** Insurer profiles that fill in the fields a record leaves out; none when left out. */
  insurers?: Insurers | undefined;
}

/** How a record is named in messages: its 1-based position and, when present, 記号 and 番号. */
export function recordLabel(index: number, raw: unknown): string {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const ids = [
    typeof r.symbol === 'string' && r.symbol ? `記号 ${r.symbol}` : '',
    typeof r.number === 'string' && r.number ? `番号 ${r.number}` : '',
  ].filter(Boolean);
  return `record ${index + 1}${ids.length ? ` (${ids.join(' ')})` : ''}`;
}

/** The problem of a record whose `field` did not fit its box when printed (0-based `index` in `raws`). */
export function overflowProblem(index: number, field: string, raws: readonly unknown[]): RecordProblem {
  return {
    record: index + 1,
    recordLabel: recordLabel(index, raws[index]),
    path: field,
    label: isFieldName(field) ? FIELDS[field].label : field,
    message: 'too long for its box on the document: shorten it (text is never cut off)',
  };
}

/** A value as shown in a message: JSON, shortened. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value) ?? `a ${typeof value}`;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Text fields never printed: their characters need no glyph (householdId and employerId only group envelopes). */
const NEVER_PRINTED: ReadonlySet<FieldName> = new Set(['portalUrl', 'householdId', 'employerId', 'envelopeCode']);

/** The fields whose text is printed as it is, and so must be drawn by the pinned fonts. */
export const PRINTED_TEXT_FIELDS = FIELD_NAMES.filter((f) => FIELDS[f].kind === 'string' && !NEVER_PRINTED.has(f));

/** Every printed character must have its own glyph in a pinned font: never a box or a look-alike. */
function glyphProblems(r: InsuranceRecord, coverage: GlyphCoverage): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const field of PRINTED_TEXT_FIELDS) {
    const value = r[field];
    if (typeof value !== 'string') continue;
    const verdict = fontForText(value, coverage);
    if ('missing' in verdict) out.push({ path: field, message: `${verdict.missing} ${verdict.reason}` });
  }
  return out;
}

/**
 * Checks one record against the contract and `layout`; returns every problem found, none when valid.
 * Fields the record leaves out are taken from its insurer's profile (by 保険者番号) first: the record's own
 * fields always win.
 */
export function checkRecord(
  raw: unknown,
  layout: Layout,
  options: CheckOptions = {},
): { record?: InsuranceRecord; problems: FieldProblem[] } {
  const coverage = options.coverage ?? pinnedCoverage();
  const insurers = options.insurers ?? NO_INSURERS;
  if (raw instanceof UnreadableRecord) return { problems: [{ path: '(record)', message: raw.message }] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [{ path: '(record)', message: `expected an object of fields, received ${shown(raw)}` }] };
  }
  const own = raw as Record<string, unknown>;
  const profile = insurers.get(own.insurerNumber);
  // Object.assign, not a spread: a spread clones the profile's hidden class, and adding the record's own
  // fields to that clone made V8 build new hidden classes for every record, straight into the old heap
  // (200 MB of garbage per 100,000 records of a job intake, and twice the time).
  const input: Record<string, unknown> = profile ? Object.assign({}, profile.fields) : {};
  for (const [k, v] of Object.entries(own)) if (v !== undefined) input[k] = v;
  const problems: FieldProblem[] = [];
  for (const field of layout.required) {
    const v = input[field];
    const nullable = FIELDS[field].kind === 'nullable-string';
    if (v === undefined || (v === null && !nullable) || (typeof v === 'string' && v.trim() === '')) {
      problems.push({
        path: field,
        message: `required by layout ${layout.id}: expected ${FIELDS[field].expected}, received ${shown(v)}${fromProfile(field, own.insurerNumber, insurers)}`,
      });
    }
  }
  const parsed = recordSchema.safeParse(input);
  if (!parsed.success) {
    const seen = new Set(problems.map((p) => p.path));
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ path: key, message: 'unknown field: not in the record contract (check its spelling and case)' });
        }
        continue;
      }
      const field = String(issue.path[0]);
      if (seen.has(field) || !isFieldName(field)) continue;
      seen.add(field);
      problems.push({ path: field, message: `expected ${FIELDS[field].expected}, received ${shown(input[field])}` });
    }
    return { problems };
  }
  if (problems.length) return { problems };
  problems.push(
    ...crossFieldProblems(parsed.data, layout.scheme),
    ...requiredWithProblems(parsed.data, layout),
    ...glyphProblems(parsed.data, coverage),
  );
  if (layout.cardCode) problems.push(...cardCodeProblems(parsed.data, profile?.cardCode));
  const portalUrl = parsed.data.portalUrl ?? DEFAULT_PORTAL_URL;
  if (layout.portalQr && !qrFits(portalUrl, portalQrSize(layout.page.widthMm))) {
    problems.push({
      path: 'portalUrl',
      message: `too long for the QR code box of this card-size notice (${portalUrl.length} characters): give a shorter https URL`,
    });
  }
  return problems.length ? { problems } : { record: parsed.data, problems };
}

/** The card's 二次元コード must stay readable in its box: its text may not need modules finer than allowed. */
function cardCodeProblems(r: InsuranceRecord, template: string | undefined): FieldProblem[] {
  const text = cardCodeOf(r, template);
  const moduleMm = qrModuleMm(text, CARD_CODE_QR);
  if (!('minModuleMm' in CARD_CODE_QR) || moduleMm >= CARD_CODE_QR.minModuleMm) return [];
  return [
    {
      path: 'cardCode',
      message: `the 二次元コード would carry ${text.length} characters, too many for its ${CARD_CODE_QR.sizeMm} mm box (modules of ${moduleMm.toFixed(2)} mm, at least ${CARD_CODE_QR.minModuleMm} needed): shorten 記号 or 番号, or the profile's codes.card template`,
    },
  ];
}

/** A layout's fields required whenever another field is set (layout.json `requiredWith`). */
function requiredWithProblems(r: InsuranceRecord, layout: Layout): FieldProblem[] {
  return Object.entries(layout.requiredWith).flatMap(([field, when]) =>
    r[when] !== undefined && r[field as FieldName] === undefined
      ? [
          {
            path: field,
            message: `required by layout ${layout.id} whenever ${FIELDS[when].label} is set: expected ${FIELDS[field as FieldName].expected}, received nothing`,
          },
        ]
      : [],
  );
}

/** Fields an insurer profile can give. */
const PROFILE_FIELDS: ReadonlySet<string> = new Set(['insurerName', 'prefecture', 'insurerAddress', 'portalUrl']);

/** Why a field a profile could give is missing: there is no profile for the number, or it lacks the field too. */
function fromProfile(field: FieldName, insurerNumber: unknown, insurers: Insurers): string {
  if (!PROFILE_FIELDS.has(field) || typeof insurerNumber !== 'string' || insurerNumber === '') return '';
  const where = insurers.dir ? ` in ${insurers.dir}` : ' (no insurer profiles folder is in use)';
  return insurers.get(insurerNumber)
    ? `; the insurer profile ${insurerNumber}.json does not give it either`
    : `; there is no insurer profile for 保険者番号 ${insurerNumber}${where} to take it from`;
}

/**
 * Sorts records into the valid and the rejected, without throwing: for batch jobs, which print every
 * valid record and account for each rejected one with its problems. `valid` holds the 0-based input
 * positions of the valid records, `records` those records, typed.
 */
export function triageRecords(
  raws: readonly unknown[],
  layout: Layout,
  options: CheckOptions = {},
): { valid: number[]; records: InsuranceRecord[]; problems: RecordProblem[] } {
  const opts = { ...options, coverage: options.coverage ?? pinnedCoverage() };
  const valid: number[] = [];
  const records: InsuranceRecord[] = [];
  const problems: RecordProblem[] = [];
  raws.forEach((raw, index) => {
    const result = checkInputRecord(raw, index, layout, opts);
    if (result.record) {
      valid.push(index);
      records.push(result.record);
    }
    problems.push(...result.problems);
  });
  return { valid, records, problems };
}

/** Checks the record at 0-based input position `index`: `checkRecord` with its problems tied to the record. */
export function checkInputRecord(
  raw: unknown,
  index: number,
  layout: Layout,
  options: CheckOptions = {},
): { record?: InsuranceRecord; problems: RecordProblem[] } {
  const result = checkRecord(raw, layout, options);
  const problems = result.problems.map((p) => {
    const label = isFieldName(p.path) ? FIELDS[p.path].label : p.path;
    return { record: index + 1, recordLabel: recordLabel(index, raw), path: p.path, label, message: p.message };
  });
  return result.record ? { record: result.record, problems } : { problems };
}

/**
 * Validates every record for `layout`, its printed characters included. Returns the typed records when all
 * are valid; otherwise throws an INVALID_INPUT PrintError listing every problem of every record, so nothing
 * of the batch is printed.
 */
export function validateRecords(raws: readonly unknown[], layout: Layout, options: CheckOptions = {}): InsuranceRecord[] {
  if (raws.length === 0) throw new PrintError('INVALID_INPUT', 'the input holds no records');
  const { records, problems } = triageRecords(raws, layout, options);
  if (problems.length) {
    const bad = new Set(problems.map((p) => p.record)).size;
    throw new PrintError(
      'INVALID_INPUT',
      `${bad} of ${raws.length} records are invalid (${problems.length} problems); nothing was printed`,
      { problems },
    );
  }
  return records;
}
