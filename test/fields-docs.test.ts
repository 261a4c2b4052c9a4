// CSV headers in field names or their Japanese labels, and the field reference and sample CSVs generated
// from the one field table.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  PrintError,
  SAMPLE_INSURERS_DIR,
  loadEngineInsurers,
  loadLayouts,
  loadSamples,
  parseRecords,
  validateRecords,
} from '../engine/index.ts';
import { fieldReference, samplesCsv } from '../cli/fields-command.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const docs = (path: string) => new URL(`../docs/${path}`, import.meta.url);

describe('CSV headers', () => {
  it('take field names or their labels, as municipal systems export them', async () => {
    const byName = await parseRecords(enc('name,number,copayRate\n山田 太郎,0034567,3\n'), 'csv');
    const byLabel = await parseRecords(enc('氏名,番号,負担割合\n山田 太郎,0034567,3\n'), 'csv');
    expect(byLabel).toEqual(byName);
    expect(byLabel).toEqual([{ name: '山田 太郎', number: '0034567', copayRate: 3 }]);
  });

  it('refuse a column that names no field, or a field named twice, before reading any record', async () => {
    const err = await parseRecords(enc('氏名,フリガナ名,番号,name\n山田,ヤマダ,1,山田\n'), 'csv', 'renewal.csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrintError);
    const { message, problems } = err as PrintError;
    expect(message).toBe('renewal.csv: the CSV header names 2 column(s) that are no field; nothing was read');
    expect(problems.map((p) => [p.path, p.label, p.message])).toEqual([
      ['column 2', 'フリガナ名', '"フリガナ名" is no field: use a field name (name) or its label (氏名), see docs/fields.md'],
      ['column 4', 'name', '"name" names name again (already "氏名")'],
    ]);
  });
});

describe('the field reference and sample CSVs', () => {
  const layouts = [...loadLayouts().values()];

  it('docs/fields.md is what `fields` makes from the field table now', () => {
    expect(readFileSync(docs('fields.md'), 'utf8')).toBe(fieldReference(layouts));
  });

  it("every layout's sample CSV, UTF-8 and Shift_JIS, is current and reads back as its samples, all valid", async () => {
    // Valid as printed with the sample insurers' profiles (the 後期 notice takes its issuer from them).
    const insurers = await loadEngineInsurers(loadLayouts(), SAMPLE_INSURERS_DIR);
    for (const layout of layouts) {
      const utf8 = readFileSync(docs(`samples/${layout.id}.csv`));
      expect(utf8.toString('utf8'), layout.id).toBe(samplesCsv(layout));
      const sjis = readFileSync(docs(`samples/${layout.id}.sjis.csv`));
      for (const bytes of [utf8, sjis]) {
        const records = await parseRecords(bytes, 'csv', `${layout.id} sample`);
        expect(records.length, layout.id).toBeGreaterThan(0);
        expect(() => validateRecords(records, layout, { insurers })).not.toThrow();
      }
      // The UTF-8 file holds exactly the samples (cells are text: numbers and flags read back as the contract types).
      expect(await parseRecords(utf8, 'csv')).toEqual(loadSamples(layout));
    }
  });
});
