import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  parseRecords,
  readRecords,
  readRecordsFile,
  loadLayouts,
  getLayout,
  validateRecords,
  triageRecords,
  PrintError,
  UnreadableRecord,
  RECORD_LIMITS,
} from '../engine/index.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const enc = (s: string) => new TextEncoder().encode(s);
const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>[];

/** The message of an unreadable record, or undefined for a readable one. */
const unreadable = (r: unknown) => (r instanceof UnreadableRecord ? r.message : undefined);

describe('reading records', () => {
  it('reads a JSON object as one record and a JSON array as many', async () => {
    expect(await parseRecords(enc('{"name":"山田"}'), 'json')).toEqual([{ name: '山田' }]);
    expect(await parseRecords(enc(' [ {"name":"a"} , {"name":"b, ]\\"}"} ]\n'), 'json')).toEqual([{ name: 'a' }, { name: 'b, ]"}' }]);
    expect(await parseRecords(enc('[]'), 'json')).toEqual([]);
  });

  it('reads an array split anywhere across chunks, one record at a time', async () => {
    const text = JSON.stringify(samples);
    const pieces = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => enc(text.slice(i * 7, i * 7 + 7)));
    const out: unknown[] = [];
    for await (const r of readRecords(pieces, 'json')) out.push(r);
    expect(out).toEqual(samples);
  });

  it('reads NDJSON line by line, skipping blank lines', async () => {
    expect(await parseRecords(enc('{"name":"a"}\n\n{"name":"b"}\r\n'), 'ndjson')).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('keeps a broken NDJSON line as one unreadable record, in its place, naming the line', async () => {
    const out = await parseRecords(enc('{"name":"a"}\n{"name":\n\n{"name":"c"}\n'), 'ndjson', 'recs.ndjson');
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({ name: 'a' });
    expect(unreadable(out[1])).toMatch(/^line 2 is not valid JSON/);
    expect(out[2]).toEqual({ name: 'c' });
  });

  it('keeps a broken element of a JSON array as one unreadable record', async () => {
    const out = await parseRecords(enc('[{"name":"a"},{"name":},,{"name":"d"}]'), 'json');
    expect(out.map(unreadable)).toEqual([
      undefined,
      expect.stringMatching(/^record 2 is not valid JSON/),
      expect.stringMatching(/^record 3 is empty/),
      undefined,
    ]);
  });

  it('refuses a record nested deeper than the limit, and reads one at the limit', async () => {
    // A record object holding n nested arrays is n + 1 levels deep.
    const nested = (n: number) => `{"a":${'['.repeat(n)}1${']'.repeat(n)}}`;
    const atLimit = nested(RECORD_LIMITS.maxDepth - 1);
    const past = nested(RECORD_LIMITS.maxDepth);
    expect(unreadable((await parseRecords(enc(`[${atLimit}]`), 'json'))[0])).toBeUndefined();
    expect(unreadable((await parseRecords(enc(`[${past}]`), 'json'))[0])).toBe(
      `record 1 nests deeper than ${RECORD_LIMITS.maxDepth} levels`,
    );
    expect(unreadable((await parseRecords(enc(`${atLimit}\n`), 'ndjson'))[0])).toBeUndefined();
    expect(unreadable((await parseRecords(enc(`${past}\n`), 'ndjson'))[0])).toBe(
      `line 1 nests deeper than ${RECORD_LIMITS.maxDepth} levels`,
    );
  });

  it('reads a 400,000-level nesting without a stack overflow, as one unreadable record', async () => {
    const deep = `[${'['.repeat(400_000)}${']'.repeat(400_000)},{"name":"b"}]`;
    const out = await parseRecords(enc(deep), 'json');
    expect(unreadable(out[0])).toMatch(/nests deeper/);
    expect(out[1]).toEqual({ name: 'b' });
  });

  it('reads a record of the largest size and refuses one character more, without holding it', async () => {
    const sized = (chars: number) => `{"name":"${'x'.repeat(chars - '{"name":""}'.length)}"}`;
    const at = await parseRecords(enc(`[${sized(RECORD_LIMITS.maxChars)},{"name":"b"}]`), 'json');
    expect(unreadable(at[0])).toBeUndefined();
    const past = await parseRecords(enc(`[${sized(RECORD_LIMITS.maxChars + 1)},{"name":"b"}]`), 'json');
    expect(unreadable(past[0])).toBe(`record 1 is larger than ${RECORD_LIMITS.maxChars} characters`);
    expect(past[1]).toEqual({ name: 'b' });
    const lines = await parseRecords(enc(`${sized(RECORD_LIMITS.maxChars)}\n${sized(RECORD_LIMITS.maxChars + 1)}\n`), 'ndjson');
    expect(lines.map(unreadable)).toEqual([undefined, `line 2 is longer than ${RECORD_LIMITS.maxChars} characters`]);
  });

  it('says plainly when the whole input is not records', async () => {
    await expect(parseRecords(enc('"hello"'), 'json', 'the body')).rejects.toThrow(/the body is not JSON records/);
    await expect(parseRecords(enc('[{"name":"a"}'), 'json', 'the body')).rejects.toThrow(
      /the body ends before its array of records is closed/,
    );
    await expect(parseRecords(enc('[{"name":"a}]'), 'json', 'the body')).rejects.toThrow(/ends inside a string/);
    await expect(parseRecords(enc('[{}] x'), 'json', 'the body')).rejects.toThrow(/text after the end/);
    await expect(parseRecords(enc('{"name":'), 'json', 'the body')).rejects.toThrow(/the body is not valid JSON/);
    expect(await parseRecords(enc(' \n'), 'json')).toEqual([]);
  });

  it('reads the same CSV in Shift_JIS and in UTF-8 with a BOM to the same records', async () => {
    const sjis = await readRecordsFile(fixture('records-sjis.csv'));
    const utf8 = await readRecordsFile(fixture('records-utf8.csv'));
    expect(sjis).toEqual(utf8);
    expect(readFileSync(fixture('records-sjis.csv')).includes(Buffer.from('山田', 'utf8'))).toBe(false);
  });

  it('converts CSV cells to the contract types and leaves empty cells out', async () => {
    const [first, second] = (await readRecordsFile(fixture('records-sjis.csv'))) as Record<string, unknown>[];
    expect(first).not.toHaveProperty('copayRate');
    expect(first!.number).toBe('0034567');
    expect(second).toMatchObject({ name: '髙橋 花子', copayRate: 2, sexOnBack: true, address: '島根県出雲市大社町杵築東195番地, 302号' });
  });

  it('keeps a CSV row with the wrong number of cells as one unreadable record, naming its line', async () => {
    const out = await parseRecords(enc('name,number\n山田,1\n鈴木\n佐藤,3\n'), 'csv');
    expect(out.map(unreadable)).toEqual([undefined, 'line 3 has 1 cells, the header has 2', undefined]);
    expect(out[2]).toEqual({ name: '佐藤', number: '3' });
  });

  it('passes an error of the bytes under a CSV on as it is, and finalizes them when reading stops early', async () => {
    async function* failing() {
      await Promise.resolve();
      yield enc('name,number\n山田,1\n');
      throw new Error('the client left');
    }
    await expect(
      (async () => {
        for await (const r of readRecords(failing(), 'csv')) expect(r).toBeDefined();
      })(),
    ).rejects.toThrow('the client left');
    await expect(parseRecords(Uint8Array.from([0x6e, 0x0a, 0x61, 0xff, 0xfe]), 'csv')).rejects.toThrow(/not valid shift_jis text/);
    let finalized = false;
    async function* endless() {
      await Promise.resolve();
      try {
        for (;;) yield enc('name\na\n');
      } finally {
        finalized = true;
      }
    }
    for await (const r of readRecords(endless(), 'csv')) if (r) break;
    await new Promise((r) => setTimeout(r, 20));
    expect(finalized).toBe(true);
  });

  it('gives CSV records that validate for kokuho-card', async () => {
    expect(validateRecords(await readRecordsFile(fixture('records-sjis.csv')), layout)).toHaveLength(2);
  });

  it('rejects an unreadable record on its own in triage, naming it, and keeps the others valid', async () => {
    const text = samples
      .map((s) => JSON.stringify(s))
      .join('\n')
      .replace(/\n/, '\n{oops\n');
    const { valid, problems } = triageRecords(await parseRecords(enc(text), 'ndjson'), layout);
    expect(valid).toEqual([0, 2, 3].slice(0, samples.length));
    expect(problems).toEqual([
      expect.objectContaining({ record: 2, path: '(record)', message: expect.stringMatching(/^line 2 is not valid JSON/) }),
    ]);
  });

  it('refuses a file whose extension names no known format', async () => {
    await expect(readRecordsFile('recs.xlsx')).rejects.toThrow(PrintError);
  });
});
