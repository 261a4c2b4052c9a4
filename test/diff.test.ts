// QA's proof diff: `shikaku-print diff REFERENCE CANDIDATE --report DIR`, record by record when the proofs
// have manifests, page by page when not; report.json, junit.xml and the HTML a reviewer works through.
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from './helpers/main-in-process.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-diff-test-'));

const reference = join(dir, 'reference.pdf');
const changed = join(dir, 'changed.pdf');
const shorter = join(dir, 'shorter.pdf');

interface DiffReport {
  aligned: 'record' | 'page';
  summary: { same: number; changed: number; added: number; removed: number };
  records: {
    key: string;
    status: string;
    reference?: { record: number; pages: number[] };
    candidate?: { record: number; pages: number[] };
    changes: { page: number; boxMm: number[]; field?: string; before?: string; after?: string }[];
    notes?: string[];
  }[];
}

const readReport = (name: string) => JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8')) as DiffReport;

beforeAll(async () => {
  const records = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, string>[];
  writeFileSync(join(dir, 'a.json'), JSON.stringify(records));
  // The second record's 番号 changes by one digit, and with it its key: give every record a ref, as an
  // integrator does, so that it is still the same record.
  const withRef = (rs: Record<string, string>[]) => rs.map((r, i) => ({ ...r, ref: `R-${i + 1}` }));
  writeFileSync(join(dir, 'a.json'), JSON.stringify(withRef(records)));
  writeFileSync(join(dir, 'b.json'), JSON.stringify(withRef(records).map((r, i) => (i === 1 ? { ...r, number: '0034569' } : r))));
  writeFileSync(join(dir, 'c.json'), JSON.stringify(withRef(records).slice(0, 2)));
  for (const [data, out] of [
    ['a.json', reference],
    ['b.json', changed],
    ['c.json', shorter],
  ] as const) {
    const r = await runMain('render', '--layout', 'kokuho-card', '--data', join(dir, data), '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('shikaku-print diff', () => {
  it('finds a proof the same as itself (exit 0), record by record, and writes report.json and junit.xml', async () => {
    const r = await runMain('diff', reference, reference, '--report', join(dir, 'same'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = readReport('same');
    expect(report.aligned).toBe('record');
    expect(report.summary).toEqual({ same: 3, changed: 0, added: 0, removed: 0 });
    expect(report.records.map((x) => x.key)).toEqual(['R-1', 'R-2', 'R-3']);
    const junit = readFileSync(join(dir, 'same', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="shikaku-print diff" tests="3" failures="0">/);
    expect(junit).not.toContain('<failure');
  });

  it('finds one changed digit (exit 1): its record, the field 番号, its region and the text before and after', async () => {
    const r = await runMain('diff', reference, changed, '--report', join(dir, 'digit'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CHANGED record 2: 番号 at x [\d.]+ mm, y [\d.]+ mm/);
    expect(r.stdout).not.toContain('0034569'); // the terminal is a log: no field values
    const report = readReport('digit');
    expect(report.summary).toEqual({ same: 2, changed: 1, added: 0, removed: 0 });
    const rec = report.records[1]!;
    expect(rec).toMatchObject({
      key: 'R-2',
      status: 'changed',
      reference: { record: 2, pages: [3, 4] },
      candidate: { record: 2, pages: [3, 4] },
    });
    expect(rec.changes).toHaveLength(1);
    const [change] = rec.changes;
    expect(change).toMatchObject({ page: 3, field: '番号', before: '0034568', after: '0034569' });
    // The 番号 value sits at about x 40–60 mm, y 14–18 mm on the card; only its last digit changed.
    const [x, y, w, h] = change!.boxMm as [number, number, number, number];
    expect(x).toBeGreaterThan(40);
    expect(x + w).toBeLessThan(60);
    expect(y).toBeGreaterThan(14);
    expect(y + h).toBeLessThan(18.5);
    expect(readFileSync(join(dir, 'digit', 'junit.xml'), 'utf8')).toMatch(/tests="3" failures="1"/);
    const page = readFileSync(join(dir, 'digit', 'records', '000001.html'), 'utf8');
    for (const kind of ['ref', 'cand', 'diff']) expect(existsSync(join(dir, 'digit', 'img', `r2-1-${kind}.png`)), kind).toBe(true);
    expect(page).toContain('src="../img/r2-1-diff.png"');
  });

  it('gives each separate change on a page its own box, named by its field', async () => {
    const records = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, string>[];
    const two = records.map((r, i) => (i === 0 ? { ...r, name: '山田 花子', address: `${r.address}１番地` } : r));
    writeFileSync(join(dir, 'two.json'), JSON.stringify(two));
    const out = join(dir, 'two.pdf');
    expect((await runMain('render', '--layout', 'kokuho-card', '--data', join(dir, 'two.json'), '--out', out, '--quiet')).code).toBe(0);
    expect((await runMain('diff', reference, out, '--report', join(dir, 'two'))).code).toBe(1);
    const [first] = readReport('two').records;
    expect(first!.changes.map((c) => c.field)).toEqual(['氏名', '住所']);
    expect(first!.changes[0]).toMatchObject({ before: records[0]!.name, after: '山田 花子' });
    expect(first!.changes[1]!.after).toBe(`${records[0]!.address}１番地`);
  });

  it('ignores a masked region (--mask PAGE:X,Y,W,H in mm, PAGE the candidate page)', async () => {
    const r = await runMain('diff', reference, changed, '--mask', '3:40,10,30,8', '--report', join(dir, 'masked'));
    expect(r.code, r.stdout).toBe(0);
  });

  it('reports a record only in the reference as removed, and takes manifests named with --manifest', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    copyFileSync(shorter, join(elsewhere, 'short.pdf'));
    copyFileSync(`${shorter}.manifest.json`, join(elsewhere, 'm.json'));
    const r = await runMain(
      'diff',
      reference,
      join(elsewhere, 'short.pdf'),
      '--manifest',
      `${reference}.manifest.json`,
      join(elsewhere, 'm.json'),
      '--report',
      join(dir, 'removed'),
    );
    expect(r.code, r.stderr).toBe(1);
    const report = readReport('removed');
    expect(report.aligned).toBe('record');
    expect(report.summary).toEqual({ same: 2, changed: 0, added: 0, removed: 1 });
    expect(report.records[2]).toMatchObject({ key: 'R-3', status: 'removed', reference: { record: 3, pages: [5, 6] } });
  });

  it('falls back to page order without manifests, and says so', async () => {
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    copyFileSync(reference, join(bare, 'a.pdf'));
    copyFileSync(shorter, join(bare, 'c.pdf'));
    const r = await runMain('diff', join(bare, 'a.pdf'), join(bare, 'c.pdf'), '--dpi', '100', '--report', join(dir, 'count'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Aligned by page order, not by record');
    expect(r.stdout).toContain('Page count differs: reference has 6, candidate 4.');
    const report = readReport('count');
    expect(report.aligned).toBe('page');
    expect(report.records.map((x) => [x.key, x.status])).toEqual([
      ['1', 'same'],
      ['2', 'same'],
      ['3', 'same'],
      ['4', 'same'],
      ['5', 'removed'],
      ['6', 'removed'],
    ]);
  });

  it('compares PNG proofs, and a folder of PNG pages by its manifest', async () => {
    await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      join(dir, 'a.json'),
      '--out',
      join(dir, 'png300'),
      '--format',
      'png',
      '--quiet',
    );
    await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      join(dir, 'b.json'),
      '--out',
      join(dir, 'png300b'),
      '--format',
      'png',
      '--quiet',
    );
    await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      join(dir, 'a.json'),
      '--out',
      join(dir, 'png150'),
      '--format',
      'png',
      '--dpi',
      '150',
      '--quiet',
    );
    expect(
      (await runMain('diff', join(dir, 'png300', '0001-1.png'), join(dir, 'png300', '0001-1.png'), '--report', join(dir, 'p1'))).code,
    ).toBe(0);
    const r = await runMain('diff', join(dir, 'png300', '0001-1.png'), join(dir, 'png150', '0001-1.png'), '--report', join(dir, 'p2'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('page size differs, reference 85.6 × 54.0 mm, candidate 42.8 × 27.0 mm');
    const folders = await runMain('diff', join(dir, 'png300'), join(dir, 'png300b'), '--report', join(dir, 'p3'));
    expect(folders.code).toBe(1);
    expect(readReport('p3')).toMatchObject({ aligned: 'record', summary: { same: 2, changed: 1, added: 0, removed: 0 } });
    // The PDF against the PNG pages of the same records: rasterized as `render --format png` does, the same.
    const mixed = await runMain('diff', reference, join(dir, 'png300'), '--report', join(dir, 'p4'));
    expect(mixed.code, mixed.stdout).toBe(0);
  });

  it('refuses unusable input with exit 2 and one line: a malformed mask, a missing proof, a broken manifest', async () => {
    const mask = await runMain('diff', reference, changed, '--mask', '3:40,10');
    expect(mask.code).toBe(2);
    expect(mask.stderr).toContain('--mask expects PAGE:X,Y,W,H in millimetres');
    const missing = await runMain('diff', reference, join(dir, 'nowhere.pdf'), '--report', join(dir, 'x1'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`shikaku-print: ${join(dir, 'nowhere.pdf')}: no such file or folder`);
    writeFileSync(join(dir, 'broken.json'), '{"records": [');
    const broken = await runMain(
      'diff',
      reference,
      changed,
      '--manifest',
      join(dir, 'broken.json'),
      `${changed}.manifest.json`,
      '--report',
      join(dir, 'x2'),
    );
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: not a manifest/);
    expect(broken.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    writeFileSync(join(dir, 'text.pdf'), 'not a pdf');
    const notPdf = await runMain('diff', join(dir, 'text.pdf'), changed, '--report', join(dir, 'x3'));
    expect(notPdf.code).toBe(2);
    expect(notPdf.stderr).toMatch(/text\.pdf: not a readable PDF/);
    expect(readdirSync(dir)).not.toContain('x1');
    // A report folder that holds anything but an earlier report is refused, and left as it is.
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    const taken = await runMain('diff', reference, changed, '--report', mine);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('holds other files (notes.txt); give an empty or new folder');
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    // An earlier report is replaced.
    expect((await runMain('diff', reference, reference, '--report', join(dir, 'same'))).code).toBe(0);
  });

  it('compares imposed sheets sheet by sheet, and says why', async () => {
    for (const [data, out] of [
      ['a.json', 'a-a4.pdf'],
      ['b.json', 'b-a4.pdf'],
    ] as const) {
      const r = await runMain(
        'render',
        '--layout',
        'kokuho-card',
        '--data',
        join(dir, data),
        '--out',
        join(dir, out),
        '--impose',
        'a4',
        '--quiet',
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await runMain('diff', join(dir, 'a-a4.pdf'), join(dir, 'b-a4.pdf'), '--dpi', '100', '--report', join(dir, 'sheets'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('a-a4.pdf.manifest.json is of imposed sheets, compared sheet by sheet');
    // Both sheet sides differ: the 番号 on the front, and the slug of each side names its file.
    expect(readReport('sheets')).toMatchObject({ aligned: 'page', summary: { same: 0, changed: 2, added: 0, removed: 0 } });
  });
});
