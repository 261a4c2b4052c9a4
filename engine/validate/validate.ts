import { PrintError, type RecordProblem } from '../errors.ts';
import { FIELDS, FIELD_NAMES, isFieldName, type FieldName } from '../records/fields.ts';
import { recordSchema, type InsuranceRecord } from '../records/schema.ts';
import type { Layout } from '../layouts/layouts.ts';
import { crossFieldProblems } from './rules.ts';
import { UnreadableRecord } from '../records/unreadable-record.ts';
import { fontForText, pinnedCoverage, type GlyphCoverage } from '../fonts/glyph-coverage.ts';

/** A problem before it is tied to its record: the field and what is wrong with it. */
export interface FieldProblem {
  path: FieldName | string;
  message: string;
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

/** A value as shown in a message: JSON, shortened. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The fields whose text is printed as it is, and so must be drawn by the pinned fonts. */
export const PRINTED_TEXT_FIELDS = FIELD_NAMES.filter((f) => FIELDS[f].kind === 'string' && f !== 'portalUrl');

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

/** Checks one record against the contract and `layout`; returns every problem found, none when valid. */
export function checkRecord(raw: unknown, layout: Layout, coverage: GlyphCoverage = pinnedCoverage()): { record?: InsuranceRecord; problems: FieldProblem[] } {
  if (raw instanceof UnreadableRecord) return { problems: [{ path: '(record)', message: raw.message }] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [{ path: '(record)', message: `expected an object of fields, received ${shown(raw)}` }] };
  }
  const input = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const field of layout.required) {
    const v = input[field];
    const nullable = FIELDS[field].kind === 'nullable-string';
    if (v === undefined || (v === null && !nullable) || (typeof v === 'string' && v.trim() === '')) {
      problems.push({ path: field, message: `required by layout ${layout.id}: expected ${FIELDS[field].expected}, received ${shown(v)}` });
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
  problems.push(...crossFieldProblems(parsed.data, layout.scheme, layout.document), ...glyphProblems(parsed.data, coverage));
  return problems.length ? { problems } : { record: parsed.data, problems };
}

/**
 * Sorts records into the valid and the rejected, without throwing: for batch jobs, which print every
 * valid record and account for each rejected one with its problems. `valid` holds the 0-based input
 * positions of the valid records, `records` those records, typed.
 */
export function triageRecords(
  raws: readonly unknown[],
  layout: Layout,
  coverage: GlyphCoverage = pinnedCoverage(),
): { valid: number[]; records: InsuranceRecord[]; problems: RecordProblem[] } {
  const valid: number[] = [];
  const records: InsuranceRecord[] = [];
  const problems: RecordProblem[] = [];
  raws.forEach((raw, index) => {
    const result = checkInputRecord(raw, index, layout, coverage);
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
  coverage: GlyphCoverage = pinnedCoverage(),
): { record?: InsuranceRecord; problems: RecordProblem[] } {
  const result = checkRecord(raw, layout, coverage);
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
export function validateRecords(raws: readonly unknown[], layout: Layout, coverage: GlyphCoverage = pinnedCoverage()): InsuranceRecord[] {
  if (raws.length === 0) throw new PrintError('INVALID_INPUT', 'the input holds no records');
  const { records, problems } = triageRecords(raws, layout, coverage);
  if (problems.length) {
    const bad = new Set(problems.map((p) => p.record)).size;
    throw new PrintError('INVALID_INPUT', `${bad} of ${raws.length} records are invalid (${problems.length} problems); nothing was printed`, { problems });
  }
  return records;
}
