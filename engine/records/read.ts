import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { parse as csvParser } from 'csv-parse';
import { PrintError, type RecordProblem } from '../errors.ts';
import { FIELDS, isFieldName } from './fields.ts';
import { splitJsonArray, parseJsonRecord } from './json-records.ts';
import { UnreadableRecord } from './unreadable-record.ts';

export { UnreadableRecord };

/** The input formats records come in. */
export type RecordFormat = 'json' | 'ndjson' | 'csv';

/**
 * Bounds on one record of any input: a record nests no deeper than this (the contract's records are flat
 * objects, so 8 leaves room and stops a hostile `[[[[…` from reaching anything recursive), and its text
 * is no larger than this.
 */
export const RECORD_LIMITS = { maxDepth: 8, maxChars: 1_000_000 } as const;

/** The format a file's name says: .json, .ndjson/.jsonl, or .csv. */
export function formatOfPath(path: string): RecordFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  throw new PrintError('INVALID_INPUT', `cannot tell the format of ${path}: expected a .json, .ndjson or .csv file`);
}

/** How much of the input decides its encoding. */
const SNIFF_BYTES = 64 * 1024;

/**
 * Decodes a byte stream as UTF-8 (a BOM is dropped) or, when its first 64 KiB are not valid UTF-8, as
 * Shift_JIS (Windows-31J), which municipal systems export. Text is decoded as it arrives, so an input of
 * any size is never held whole; an invalid byte later on is an INVALID_INPUT error naming its offset.
 */
async function* decodeStream(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, source: string): AsyncGenerator<string> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let decoder: TextDecoder | undefined;
  let offset = 0;
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return (decoder as TextDecoder).decode(bytes, { stream });
    } catch (cause) {
      throw new PrintError('INVALID_INPUT', `${source} is not valid ${(decoder as TextDecoder).encoding} text near byte ${offset}`, {
        cause,
      });
    } finally {
      offset += bytes.length;
    }
  };
  const choose = (bytes: Uint8Array, final: boolean): void => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !final });
      decoder = new TextDecoder('utf-8', { fatal: true });
    } catch {
      decoder = new TextDecoder('shift_jis', { fatal: true });
    }
  };
  for await (const chunk of input) {
    if (decoder) {
      yield decode(chunk, true);
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= SNIFF_BYTES) {
      const bytes = Buffer.concat(head);
      choose(bytes, false);
      yield decode(bytes, true);
    }
  }
  if (!decoder) {
    const bytes = Buffer.concat(head);
    choose(bytes, true);
    yield decode(bytes, false);
  } else {
    yield decode(new Uint8Array(), false);
  }
}

/**
 * Reads records from a byte stream in `format`, one at a time, holding no more than one record (and one
 * network chunk) in memory. A record that cannot be read is yielded as an UnreadableRecord in its place;
 * an input whose structure is broken (an unclosed array or quote, text that is no known encoding) throws
 * an INVALID_INPUT error saying where.
 */
export async function* readRecords(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  format: RecordFormat,
  source = 'input',
): AsyncGenerator<unknown> {
  const text = decodeStream(input, source);
  if (format === 'json') yield* splitJsonArray(text, source, RECORD_LIMITS);
  else if (format === 'ndjson') yield* ndjsonRecords(text);
  else yield* csvRecords(text, source);
}

/** Every record of `bytes`, in memory: for files and small request bodies. */
export async function parseRecords(bytes: Uint8Array, format: RecordFormat, source = 'input'): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of readRecords([bytes], format, source)) out.push(r);
  return out;
}

/** Reads and parses a records file by its extension; `onBytes` is told how much of it is read (a progress bar). */
export async function readRecordsFile(path: string, options: { onBytes?: (read: number) => void } = {}): Promise<unknown[]> {
  const format = formatOfPath(path);
  const out: unknown[] = [];
  const { onBytes } = options;
  try {
    for await (const r of readRecords(onBytes ? counted(createReadStream(path), onBytes) : createReadStream(path), format, path))
      out.push(r);
  } catch (cause) {
    if (cause instanceof PrintError) throw cause;
    throw new PrintError('INVALID_INPUT', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return out;
}

/** The pieces of `input` as they come, `onBytes` told the bytes read so far after each. */
async function* counted(input: AsyncIterable<Buffer>, onBytes: (read: number) => void): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const piece of input) {
    read += piece.length;
    onBytes(read);
    yield piece;
  }
}

/** One record per non-empty line; a line that is not a JSON record is unreadable on its own. */
async function* ndjsonRecords(text: AsyncIterable<string>): AsyncGenerator<unknown> {
  let line = '';
  let lineNo = 0;
  let tooLong = false;
  const finish = (): unknown => {
    lineNo++;
    const body = line.trim();
    const record =
      tooLong || body.length > RECORD_LIMITS.maxChars
        ? new UnreadableRecord(`line ${lineNo} is longer than ${RECORD_LIMITS.maxChars} characters`)
        : body === ''
          ? undefined
          : parseJsonRecord(body, `line ${lineNo}`, RECORD_LIMITS.maxDepth);
    line = '';
    tooLong = false;
    return record;
  };
  for await (const piece of text) {
    let start = 0;
    for (let nl = piece.indexOf('\n'); nl !== -1; nl = piece.indexOf('\n', start)) {
      if (!tooLong) line += piece.slice(start, nl);
      start = nl + 1;
      const record = finish();
      if (record !== undefined) yield record;
    }
    if (!tooLong) line += piece.slice(start);
    if (line.length > RECORD_LIMITS.maxChars) {
      tooLong = true;
      line = '';
    }
  }
  const record = finish();
  if (record !== undefined) yield record;
}

/** Each field by its name and by its label (氏名 → name), as a CSV header may name it. */
const HEADER_NAMES = new Map<string, string>(
  Object.entries(FIELDS).flatMap(([name, info]): [string, string][] => [
    [name, name],
    [info.label, name],
  ]),
);

/**
 * The field of each column of a CSV header: its cells may be field names (`name`) or their Japanese
 * labels (`氏名`), as municipal systems export them. A column that names no field, or a field named twice,
 * refuses the whole input (INVALID_INPUT naming every such column) before any record is read: a header
 * in the wrong words would otherwise make every record fail, or print nothing.
 */
export function csvHeaderFields(header: readonly string[], source = 'input'): string[] {
  const problems: RecordProblem[] = [];
  const seen = new Map<string, string>();
  const fields = header.map((cell, i) => {
    const text = cell.trim();
    const field = HEADER_NAMES.get(text);
    const column = `column ${i + 1}`;
    const at = { record: 0, recordLabel: `${source}, header row`, path: column, label: text || '(empty)' };
    if (!field) {
      problems.push({
        ...at,
        message: `${JSON.stringify(text)} is no field: use a field name (name) or its label (氏名), see docs/fields.md`,
      });
    } else if (seen.has(field)) {
      problems.push({ ...at, message: `${JSON.stringify(text)} names ${field} again (already ${JSON.stringify(seen.get(field))})` });
    } else seen.set(field, text);
    return field ?? text;
  });
  if (problems.length)
    throw new PrintError(
      'INVALID_INPUT',
      `${source}: the CSV header names ${problems.length} column(s) that are no field; nothing was read`,
      {
        problems,
      },
    );
  return fields;
}

/**
 * CSV with a header row of contract field names or their labels (csvHeaderFields). Every cell is text; empty cells are absent fields, and
 * cells of boolean and integer fields are converted (true/false/1/0, digits) so the schema sees the
 * contract's types. A cell that does not convert is kept as text and reported by validation; a row whose
 * number of cells differs from the header's is unreadable on its own. A row longer than the record limit
 * makes the whole text unreadable: past an open quote no later row can be told apart from broken quoting.
 */
async function* csvRecords(text: AsyncIterable<string>, source: string): AsyncGenerator<unknown> {
  const from = Readable.from(text);
  const rows = csvParser({
    bom: true,
    skip_empty_lines: true,
    trim: false,
    relax_column_count: true,
    info: true,
    max_record_size: RECORD_LIMITS.maxChars,
  });
  // pipe() does not pass the source's errors on (an undecodable byte, a body past its limit, a client that
  // left): hand them to the parser, whose iteration below then throws them as they are.
  from.on('error', (err) => rows.destroy(err));
  from.pipe(rows);
  let header: string[] | undefined;
  try {
    for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = csvHeaderFields(record, source);
        continue;
      }
      if (record.length !== header.length) {
        yield new UnreadableRecord(`line ${info.lines} has ${record.length} cells, the header has ${header.length}`);
        continue;
      }
      const out: Record<string, unknown> = {};
      record.forEach((cell, i) => {
        const key = header?.[i] as string;
        if (cell !== '') out[key] = isFieldName(key) ? convertCell(FIELDS[key].kind, cell) : cell;
      });
      yield out;
    }
  } catch (cause) {
    // Only the parser's own errors (codes CSV_…) mean the text is not CSV; others pass through unchanged.
    const code = (cause as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('CSV_')) throw cause;
    throw new PrintError('INVALID_INPUT', `${source} is not valid CSV: ${(cause as Error).message}`, { cause });
  } finally {
    from.destroy(); // a reader that stops early finalizes the text source, and so the body under it
  }
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
