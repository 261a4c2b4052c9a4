import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRecords, readRecordsFile, loadLayouts, getLayout, validateRecords, PrintError } from '../engine/index.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const enc = (s: string) => new TextEncoder().encode(s);

describe('reading records', () => {
  it('reads a JSON object as one record and a JSON array as many', () => {
    expect(parseRecords(enc('{"name":"山田"}'), 'json')).toEqual([{ name: '山田' }]);
    expect(parseRecords(enc('[{"name":"a"},{"name":"b"}]'), 'json')).toHaveLength(2);
  });

  it('reads NDJSON line by line, skipping blank lines', () => {
    expect(parseRecords(enc('{"name":"a"}\n\n{"name":"b"}\r\n'), 'ndjson')).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('says which NDJSON line is broken', () => {
    expect(() => parseRecords(enc('{"name":"a"}\n{"name":'), 'ndjson', 'recs.ndjson')).toThrow(/recs\.ndjson line 2 is not valid JSON/);
  });

  it('reads the same CSV in Shift_JIS and in UTF-8 with a BOM to the same records', () => {
    const sjis = readRecordsFile(fixture('records-sjis.csv'));
    const utf8 = readRecordsFile(fixture('records-utf8.csv'));
    expect(sjis).toEqual(utf8);
    expect(readFileSync(fixture('records-sjis.csv')).includes(Buffer.from('山田', 'utf8'))).toBe(false);
  });

  it('converts CSV cells to the contract types and leaves empty cells out', () => {
    const [first, second] = readRecordsFile(fixture('records-sjis.csv')) as Record<string, unknown>[];
    expect(first).not.toHaveProperty('copayRate');
    expect(first!.number).toBe('0034567');
    expect(second).toMatchObject({ name: '髙橋 花子', copayRate: 2, sexOnBack: true, address: '島根県出雲市大社町杵築東195番地, 302号' });
  });

  it('gives CSV records that validate for kokuho-card', () => {
    const layout = getLayout(loadLayouts(), 'kokuho-card');
    expect(validateRecords(readRecordsFile(fixture('records-sjis.csv')), layout)).toHaveLength(2);
  });

  it('refuses a file whose extension names no known format', () => {
    expect(() => readRecordsFile('recs.xlsx')).toThrow(PrintError);
  });
});
