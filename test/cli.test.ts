import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.ts';
import type { Manifest } from '../engine/index.ts';
import { pageCount } from './helpers/poppler.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const SJIS_CSV = new URL('./fixtures/records-sjis.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-'));

describe('shikaku-print CLI', () => {
  it('lists the layouts with page size and sides', async () => {
    const { code, stdout } = await cli('layouts');
    expect(code).toBe(0);
    expect(stdout).toMatch(/kokuho-card\s+85\.6 × 53\.98 mm\s+front, back/);
    expect(stdout).toMatch(/kokuho-notice\s+210 × 297 mm\s+page/);
    for (const id of ['kouki-card', 'kenpo-card', 'kenpo-notice']) expect(stdout).toContain(id);
    const json = JSON.parse((await cli('layouts', '--json')).stdout) as { id: string; sides: string[] }[];
    expect(json.find((l) => l.id === 'kokuho-card')?.sides).toEqual(['front', 'back']);
  });

  it('renders a PDF with a manifest giving each record its pages', async () => {
    const out = join(dir, 'cards.pdf');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out);
    expect(code, stderr).toBe(0);
    expect(pageCount(out)).toBe(6);
    const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ layout: 'kokuho-card', format: 'pdf', pageCount: 6 });
    expect(manifest.records).toEqual([
      { record: 1, key: '320036-出雲12-0034567-01', pages: [1, 2] },
      { record: 2, key: '320036-出雲12-0034568-02', pages: [3, 4] },
      { record: 3, key: '320036-出雲7-0101010-00', pages: [5, 6] },
    ]);
    // Where each fixed box is on each side, for the proof diff: here 氏名 on the front.
    expect(manifest.fieldMap?.[0]?.fields).toContainEqual({ field: 'name', label: '氏名', boxMm: [[10.5, 18, 48.5, 3.8]] });
  });

  it('renders a Shift_JIS CSV to one PNG per page named NNNN-P.png', async () => {
    const out = join(dir, 'png');
    const { code, stderr } = await cli(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      SJIS_CSV,
      '--out',
      out,
      '--format',
      'png',
      '--dpi',
      '150',
    );
    expect(code, stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['0001-1.png', '0001-2.png', '0002-1.png', '0002-2.png']);
    const png = readFileSync(join(out, '0002-1.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([506, 319]); // 85.60 × 53.98 mm at 150 dpi
    expect((JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as Manifest).records[1]).toEqual({
      record: 2,
      key: '320036-出雲12-0034568-02',
      pages: [3, 4],
      files: ['0002-1.png', '0002-2.png'],
    });
  });

  it('exits 2 on bad records, naming each record and field, and writes nothing', async () => {
    const records = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, unknown>[];
    records[1]!.birthDate = '1954-02-30';
    records[2]!.branch = '7';
    const data = join(dir, 'bad.json');
    writeFileSync(data, JSON.stringify(records));
    const out = join(dir, 'bad.pdf');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', data, '--out', out);
    expect(code).toBe(2);
    expect(stderr).toContain('2 of 3 records are invalid (2 problems); nothing was printed');
    expect(stderr).toContain(
      'record 2 (記号 出雲12 番号 0034568): 生年月日 (birthDate): expected a calendar date YYYY-MM-DD, 1873-01-01 or later, received "1954-02-30"',
    );
    expect(stderr).toContain('record 3 (記号 出雲7 番号 0101010): 枝番 (branch): expected exactly 2 digits, 00 to 99, received "7"');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.manifest.json`)).toBe(false);
  });

  it('exits 2 for an unknown layout or a missing option, saying what is wrong', async () => {
    const unknown = await cli('render', '--layout', 'nope', '--data', SAMPLES, '--out', join(dir, 'x.pdf'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown layout "nope"; layouts: kenpo-card, kenpo-notice, kenpo-notice-card, kokuho-card, kokuho-notice, kouki-card, kouki-notice',
    );
    const missing = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out is required');
  });

  it('exits 2 for a data file that is not valid JSON', async () => {
    const data = join(dir, 'broken.json');
    writeFileSync(data, '[{"name": "山田"');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', data, '--out', join(dir, 'y.pdf'));
    expect(code).toBe(2);
    expect(stderr).toContain('broken.json ends before its array of records is closed with ]');
  });
});

describe('every layout through the CLI', () => {
  it.each(['kouki-card', 'kenpo-card', 'kokuho-notice', 'kenpo-notice'])('renders %s from its samples as PDF and as PNG', async (id) => {
    const data = new URL(`../layouts/${id}/samples.json`, import.meta.url).pathname;
    const records = JSON.parse(readFileSync(data, 'utf8')) as unknown[];
    const sides = id.endsWith('card') ? 2 : 1;
    const pdf = join(dir, `${id}.pdf`);
    const r1 = await cli('render', '--layout', id, '--data', data, '--out', pdf);
    expect(r1.code, r1.stderr).toBe(0);
    expect(pageCount(pdf)).toBe(records.length * sides);
    const png = join(dir, `${id}-png`);
    const r2 = await cli('render', '--layout', id, '--data', data, '--out', png, '--format', 'png', '--dpi', '100');
    expect(r2.code, r2.stderr).toBe(0);
    expect(readdirSync(png)).toHaveLength(records.length * sides);
  });

  it("bench --json --reference prints one JSON object of figures, and bench --http --clients N --json the service's", async () => {
    const engine = await cli('bench', '--records', '12', '--json', '--reference');
    expect(engine.code).toBe(0);
    const figures = JSON.parse(engine.stdout) as Record<string, unknown>;
    expect(Object.keys(figures).sort()).toEqual([
      'bytesPerRecord',
      'layout',
      'pages',
      'pdfBytes',
      'peakPssMiB',
      'peakRssMiB',
      'ratio',
      'records',
      'recordsPerSecond',
      'referenceRecordsPerSecond',
      'seconds',
    ]);
    expect(figures).toMatchObject({ layout: 'kokuho-card', records: 12, pages: 24 });
    // engine ÷ reference: the reference's own rate divided into the engine's, both measured in this run
    expect(figures.ratio).toBeCloseTo((figures.recordsPerSecond as number) / (figures.referenceRecordsPerSecond as number), 1);
    expect(figures.pdfBytes).toBeGreaterThan(10_000);
    expect(figures.peakRssMiB).toBeGreaterThan(100); // node and Chromium together
    const http = await cli('bench', '--http', '--clients', '2', '--seconds', '1', '--json');
    expect(http.code).toBe(0);
    const load = JSON.parse(http.stdout) as { requestsPerSecond: number; p50Ms: number; p99Ms: number; status: Record<string, number> };
    expect(load.requestsPerSecond).toBeGreaterThan(0);
    expect(load.p99Ms).toBeGreaterThanOrEqual(load.p50Ms);
    expect(load.status['200']).toBeGreaterThan(0);
  });
});
