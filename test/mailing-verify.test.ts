// `mailing verify` (docs/spec/interfaces.md, Mailing): a scan log against a mailing run's manifest. The true
// log is complete; logs with one sheet swapped between two envelopes, one sheet missing, one duplicated, one
// out of order, one foreign and one envelope absent name exactly those envelopes and sheets.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchingCode, verifyScans, type ManifestEnvelope } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';

/** A run of envelopes with these sheet counts, as its manifest lists them. */
function run(sheets: number[], id = 'K7Q2AB'): ManifestEnvelope[] {
  return sheets.map((m, k) => ({
    envelope: k + 1,
    records: [k + 1],
    codes: Array.from({ length: m }, (_, s) => matchingCode({ run: id, envelope: k + 1, sheet: s + 1, sheets: m })),
  }));
}

const envelopes = run([2, 3, 1, 2]);
const truth = envelopes.flatMap((e) => e.codes);
const code = (e: number, s: number) => envelopes[e - 1]?.codes[s - 1] as string;

describe('verifying a scan log', () => {
  it('finds every envelope complete in the true log, continuous or one envelope a line group', () => {
    expect(verifyScans(envelopes, truth)).toEqual({ summary: { envelopes: 4, complete: 4, problems: 0 }, problems: [] });
    expect(verifyScans(envelopes, ['', ...truth.map((c) => ` ${c} `), ''])).toMatchObject({ summary: { complete: 4, problems: 0 } });
  });

  it('names both envelopes of a sheet swapped between them, with the sheet that went astray', () => {
    // Envelope 1 got 2's first sheet and 2 got 1's second: the line read 1/1, 2/1, 1/2, 2/2 …
    const log = [code(1, 1), code(2, 1), code(1, 2), code(2, 2), code(2, 3), code(3, 1), code(4, 1), code(4, 2)];
    const r = verifyScans(envelopes, log);
    expect(r.problems).toEqual([
      { envelope: 1, kind: 'foreign-sheet', sheet: code(2, 1) },
      { envelope: 2, kind: 'foreign-sheet', sheet: code(1, 2) },
    ]);
    expect(r.summary).toEqual({ envelopes: 4, complete: 2, problems: 2 });
  });

  it('names a missing sheet, a duplicated one, one out of order and an envelope never seen', () => {
    const log = [code(1, 1), code(2, 1), code(2, 1), code(2, 3), code(2, 2), code(3, 1)];
    expect(verifyScans(envelopes, log).problems).toEqual([
      { envelope: 1, kind: 'missing-sheet', sheet: 2 },
      { envelope: 2, kind: 'duplicate-sheet', sheet: 1 },
      { envelope: 2, kind: 'out-of-order', sheet: 2 },
      { envelope: 4, kind: 'not-seen' },
    ]);
  });

  it('names a sheet of another run, or a line that is no code, as foreign to the envelope being filled', () => {
    const other = run([2], 'ZZZZ99')[0]?.codes[0] as string;
    const log = [
      ...envelopes[0]!.codes,
      ...envelopes[1]!.codes.slice(0, 1),
      other,
      'garbage',
      ...envelopes[1]!.codes.slice(1),
      ...truth.slice(5),
    ];
    expect(verifyScans(envelopes, log).problems).toEqual([
      { envelope: 2, kind: 'foreign-sheet', sheet: other },
      { envelope: 2, kind: 'foreign-sheet', sheet: 'garbage' },
    ]);
  });
});

describe('mailing verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-verify-'));
  const manifest = join(dir, 'run.pdf.manifest.json');
  writeFileSync(manifest, JSON.stringify({ layout: 'kokuho-notice', records: [], envelopes }));

  it('exits 0 on the true log and writes report.json and report.html', async () => {
    writeFileSync(join(dir, 'true.txt'), `${truth.join('\n')}\n`);
    const r = await runMain('mailing', 'verify', '--manifest', manifest, '--scans', join(dir, 'true.txt'), '--report', join(dir, 'ok'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 of 4 envelopes complete, 0 problems');
    expect(JSON.parse(readFileSync(join(dir, 'ok', 'report.json'), 'utf8'))).toEqual({
      summary: { envelopes: 4, complete: 4, problems: 0 },
      problems: [],
    });
    expect(readFileSync(join(dir, 'ok', 'report.html'), 'utf8')).toContain('すべての封筒がそろっています');
  });

  it('exits 1 naming the envelopes and sheets of a bad log', async () => {
    writeFileSync(join(dir, 'bad.txt'), [code(1, 1), code(2, 1), code(2, 2), code(2, 3), code(3, 1)].join('\n'));
    const r = await runMain('mailing', 'verify', '--manifest', manifest, '--scans', join(dir, 'bad.txt'), '--report', join(dir, 'ng'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('envelope 1: missing-sheet (sheet 2)');
    expect(r.stdout).toContain('envelope 4: not-seen');
    const report = JSON.parse(readFileSync(join(dir, 'ng', 'report.json'), 'utf8')) as { summary: unknown };
    expect(report.summary).toEqual({ envelopes: 4, complete: 2, problems: 2 });
    expect(readFileSync(join(dir, 'ng', 'report.html'), 'utf8')).toContain('用紙が足りない');
  });

  it('asks for the records with --reprint, and a reprint of records of two runs is refused before anything prints', async () => {
    const noData = await runMain(
      'mailing',
      'verify',
      '--manifest',
      manifest,
      '--scans',
      join(dir, 'bad.txt'),
      '--reprint',
      join(dir, 'r.json'),
    );
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('--data');
    const samples = JSON.parse(readFileSync(new URL('../layouts/kokuho-notice/samples.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >[];
    const mixed = samples.map((r, i) => ({
      ...r,
      postalCode: '6930001',
      address: '島根県出雲市今市町1番地',
      householdId: `H${i}`,
      envelopeCode: i === 0 ? 'K7Q2AB.000001' : 'ZZZZ99.000002',
    }));
    writeFileSync(join(dir, 'mixed.json'), JSON.stringify(mixed));
    const r = await runMain(
      'render',
      '--layout',
      'kokuho-notice',
      '--data',
      join(dir, 'mixed.json'),
      '--out',
      join(dir, 'mixed.pdf'),
      '--mail',
      'household',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('封入番号 (envelopeCode)');
    expect(r.stderr).toContain('a reprint is of one run');
  });

  it('refuses a manifest without envelopes and a missing option, exit 2', async () => {
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ layout: 'kokuho-card', records: [] }));
    const plain = await runMain('mailing', 'verify', '--manifest', join(dir, 'plain.json'), '--scans', join(dir, 'bad.txt'));
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('is it the manifest of a mailing run');
    expect((await runMain('mailing', 'verify', '--manifest', manifest)).code).toBe(2);
    expect((await runMain('mailing', 'check', '--manifest', manifest, '--scans', join(dir, 'bad.txt'))).code).toBe(2);
  });
});
