// Records out of JSON text, one at a time, whatever the input's size.
//
// Hand-written rather than a streaming JSON library: the one in the field (stream-json) says it is not
// made for untrusted input, and what a request body needs is narrow and must be bounded: find where each
// element of the top-level array starts and ends (strings and nesting tracked, nothing recursive), refuse
// an element nested too deep or too large, and hand each element alone to the native JSON.parse.
import { PrintError } from '../errors.ts';
import { UnreadableRecord } from './unreadable-record.ts';

/** The bounds of one record (see RECORD_LIMITS in read.ts). */
export interface RecordBounds {
  maxDepth: number;
  maxChars: number;
}

/** How deeply `text` nests arrays and objects, looking past strings; stops counting past `max`. */
function nestingDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** Parses one record's JSON text; text that is not JSON, or nests deeper than `maxDepth`, is unreadable. */
export function parseJsonRecord(text: string, where: string, maxDepth: number): unknown {
  if (nestingDepth(text, maxDepth) > maxDepth) return new UnreadableRecord(`${where} nests deeper than ${maxDepth} levels`);
  return parseShallowRecord(text, where);
}

/** Parses one record's JSON text whose nesting is already known to be within bounds. */
function parseShallowRecord(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return new UnreadableRecord(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The records of a JSON text that is one object (one record) or an array of them, yielded one by one.
 * An element that is not valid JSON, too deep or too large is yielded as an UnreadableRecord in its place;
 * text that is not an array or object, an array that never closes, text after it, or a lone object that
 * cannot be read, throws. Empty text holds no records.
 */
export async function* splitJsonArray(text: AsyncIterable<string>, source: string, bounds: RecordBounds): AsyncGenerator<unknown> {
  let mode = 'start' as 'start' | 'array' | 'object' | 'end';
  let parts: string[] = [];
  let size = 0;
  let depth = 0; // inside the array: 1
  let deepest = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  const invalid = (message: string) => new PrintError('INVALID_INPUT', `${source} ${message}`);
  const keep = (piece: string) => {
    if (size <= bounds.maxChars) parts.push(piece);
    size += piece.length;
  };
  const element = (): unknown => {
    index++;
    const where = `record ${index}`;
    const body = size <= bounds.maxChars ? parts.join('').trim() : '';
    const tooDeep = deepest - 1 > bounds.maxDepth; // the array itself is the first level
    parts = [];
    const chars = size;
    size = 0;
    deepest = 1;
    if (chars > bounds.maxChars) return new UnreadableRecord(`${where} is larger than ${bounds.maxChars} characters`);
    if (tooDeep) return new UnreadableRecord(`${where} nests deeper than ${bounds.maxDepth} levels`);
    if (body === '') return new UnreadableRecord(`${where} is empty (two commas in a row, or a comma before ])`);
    return parseShallowRecord(body, where); // its depth was counted while it was split off
  };

  for await (const piece of text) {
    let from = 0;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (mode === 'start') {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff) continue;
        if (c === 0x5b) {
          mode = 'array';
          depth = 1;
          deepest = 1;
          from = i + 1;
          continue;
        }
        if (c !== 0x7b) throw invalid('is not JSON records: expected an array of records or one record object');
        mode = 'object';
        from = i;
        continue;
      }
      if (mode === 'end') {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        throw invalid('has text after the end of its array of records');
      }
      if (mode === 'object') continue; // one record object: parsed whole at the end
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          keep(piece.slice(from, i));
          const last = index === 0 && parts.join('').trim() === '' ? undefined : element(); // [] holds none
          if (last !== undefined) yield last;
          mode = 'end';
        }
      } else if (c === 0x2c && depth === 1) {
        keep(piece.slice(from, i));
        yield element();
        from = i + 1;
      }
    }
    if (mode === 'array' || mode === 'object') keep(piece.slice(from));
    if (mode === 'object' && size > bounds.maxChars) throw invalid(`holds one record larger than ${bounds.maxChars} characters`);
  }
  if (mode === 'start') return; // no text at all: no records, which the caller judges
  if (mode === 'object') {
    // One object is the whole input: if it cannot be read, nothing can.
    const record = parseJsonRecord(parts.join(''), 'its record', bounds.maxDepth);
    if (record instanceof UnreadableRecord) throw invalid(record.message.replace(/^its record /, ''));
    yield record;
    return;
  }
  if (mode === 'array')
    throw invalid(inString ? 'ends inside a string: the array of records is cut off' : 'ends before its array of records is closed with ]');
}
