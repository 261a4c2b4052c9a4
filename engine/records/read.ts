import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { PrintError } from '../errors.ts';
import { FIELDS, isFieldName } from './fields.ts';

/** The input formats records come in. */
export type RecordFormat = 'json' | 'ndjson' | 'csv';

/** The format a file's name says: .json, .ndjson/.jsonl, or .csv. */
export function formatOfPath(path: string): RecordFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  throw new PrintError('INVALID_INPUT', `cannot tell the format of ${path}: expected a .json, .ndjson or .csv file`);
}

/**
 * Decodes text as UTF-8 (a BOM is dropped) or, when it is not valid UTF-8, as Shift_JIS (Windows-31J),
 * which municipal systems export.
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
  }
}

/** Parses records from bytes in `format`; a malformed input is an INVALID_INPUT error saying where. */
export function parseRecords(bytes: Uint8Array, format: RecordFormat, source = 'input'): unknown[] {
  let text: string;
  try {
    text = decodeText(bytes);
  } catch (cause) {
    throw new PrintError('INVALID_INPUT', `${source} is neither UTF-8 nor Shift_JIS text`, { cause });
  }
  if (format === 'json') {
    const value = parseJson(text, source);
    return Array.isArray(value) ? value : [value];
  }
  if (format === 'ndjson') {
    return text
      .split(/\r?\n/)
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter((l) => l.line !== '')
      .map((l) => parseJson(l.line, `${source} line ${l.n}`));
  }
  return csvRecords(text, source);
}

/** Reads and parses a records file by its extension. */
export function readRecordsFile(path: string): unknown[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new PrintError('INVALID_INPUT', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseRecords(bytes, formatOfPath(path), path);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new PrintError('INVALID_INPUT', `${source} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/**
 * CSV with a header row of contract field names. Every cell is text; empty cells are absent fields, and
 * cells of boolean and integer fields are converted (true/false/1/0, digits) so the schema sees the
 * contract's types. A cell that does not convert is kept as text and reported by validation.
 */
function csvRecords(text: string, source: string): Record<string, unknown>[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: false, relax_column_count: false });
  } catch (cause) {
    throw new PrintError('INVALID_INPUT', `${source} is not valid CSV: ${(cause as Error).message}`, { cause });
  }
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, cell] of Object.entries(row)) {
      if (cell === '') continue;
      out[key] = isFieldName(key) ? convertCell(FIELDS[key].kind, cell) : cell;
    }
    return out;
  });
}

function convertCell(kind: string, cell: string): unknown {
  if (kind === 'boolean') {
    if (/^(true|1)$/i.test(cell)) return true;
    if (/^(false|0)$/i.test(cell)) return false;
  }
  if (kind === 'integer' && /^\d+$/.test(cell)) return Number(cell);
  if (kind === 'nullable-string' && cell === 'null') return null;
  return cell;
}
