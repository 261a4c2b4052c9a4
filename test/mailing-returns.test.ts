// `mailing receipts`, `mailing returns` and `mailing verify --reprint` of a registered run, through the command
// line in-process (docs/spec/interfaces.md, Mailing): the receipt list and its CSV beside it, refused for a
// manifest of another run or a sender without a profile; the records of returned pieces, named by number or by
// matching code, without their envelope's code and number; a reprint that keeps each envelope's number.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { matchingCode, SAMPLE_INSURERS_DIR, type EnvelopeOutput, type Manifest } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';

const RUN = 'K7Q2AB';
const dir = mkdtempSync(join(tmpdir(), 'shikaku-returns-'));

/** Envelope `e` (1-based) of `sheets` sheets holding `records`, numbered from 131-12-38385-2. */
function envelope(e: number, records: number[], sheets: number, registered: boolean): EnvelopeOutput {
  const n = String(1311238385 + e - 1);
  return {
    envelope: e,
    records,
    pages: [e, e],
    sheets,
    postalCode: '6930001',
    barcode: null,
    reason: 'hand-made',
    codes: Array.from({ length: sheets }, (_, s) => matchingCode({ run: RUN, envelope: e, sheet: s + 1, sheets })),
    ...(registered
      ? {
          registeredNumber: `${n.slice(0, 3)}-${n.slice(3, 5)}-${n.slice(5)}-${Number(n) % 7}`,
          addressee: `受取 ${e}郎 様`,
          address: `島根県出雲市今市町${e}番地`,
        }
      : {}),
  };
}

/** A mailing run of four envelopes (records 1; 2 and 3; 4; 5), registered or not, as its manifest file. */
function manifestFile(name: string, registered: boolean, insurerNumber: string | null = '320036'): string {
  const envelopes = [
    envelope(1, [1], 1, registered),
    envelope(2, [2, 3], 2, registered),
    envelope(3, [4], 1, registered),
    envelope(4, [5], 11, registered),
  ];
  const m: Manifest = {
    layout: 'kokuho-notice',
    format: 'pdf',
    output: 'run.pdf',
    pageCount: 4,
    records: [1, 2, 3, 4, 5].map((r) => ({ record: r, pages: [r, r], envelope: envelopes.find((e) => e.records.includes(r))!.envelope })),
    envelopes,
    ...(registered
      ? { registered: { kind: 'kani', label: '簡易書留', insurerNumber, first: '131-12-38385-2', last: '131-12-38388-5', count: 4 } }
      : {}),
  };
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(m));
  return file;
}

const registered = manifestFile('registered.manifest.json', true);
const plain = manifestFile('plain.manifest.json', false);
const data = join(dir, 'records.json');
// The run's records as a reprint wrote them: each keeps its envelope's code and number.
writeFileSync(
  data,
  JSON.stringify(
    [1, 2, 3, 4, 5].map((r) => ({
      insurerNumber: '320036',
      name: `受取 ${r}郎`,
      ref: `R${r}`,
      envelopeCode: `${RUN}.00000${r}`,
      registeredNumber: '131-12-38385-2',
    })),
  ),
);
const lines = (file: string, ...l: string[]) => {
  const path = join(dir, file);
  writeFileSync(path, `${l.join('\n')}\n`);
  return path;
};

describe('mailing receipts', () => {
  it('writes FILE.pdf and FILE.csv for a registered run, the sender from the insurer profile, and says how many pieces on how many pages', async () => {
    const out = join(dir, 'list', 'receipts.pdf');
    mkdirSync(join(dir, 'list'));
    const r = await runMain('mailing', 'receipts', '--manifest', registered, '--out', out, '--insurers', SAMPLE_INSURERS_DIR);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${out} and ${join(dir, 'list', 'receipts.csv')}: 4 pieces on 1 page\n`);
    expect(readdirSync(join(dir, 'list')).sort()).toEqual(['receipts.csv', 'receipts.pdf']); // nothing left aside
    expect((await PDFDocument.load(readFileSync(out))).getPageCount()).toBe(1);
    expect(readFileSync(join(dir, 'list', 'receipts.csv'), 'utf8').split('\r\n')).toEqual([
      '\uFEFFお問い合わせ番号,郵便番号,受取人,重量区分',
      '131-12-38385-2,693-0001,受取 1郎 様,定形 25g以内',
      '131-12-38386-3,693-0001,受取 2郎 様,定形 25g以内',
      '131-12-38387-4,693-0001,受取 3郎 様,定形 25g以内',
      '131-12-38388-5,693-0001,受取 4郎 様,定形外 100g以内',
      '',
    ]);
  });

  it('refuses a manifest that is not a registered run’s, and a run whose insurer has no profile, exit 2, writing nothing', async () => {
    const out = join(dir, 'refused.pdf');
    const notRegistered = await runMain('mailing', 'receipts', '--manifest', plain, '--out', out, '--insurers', SAMPLE_INSURERS_DIR);
    expect(notRegistered.code).toBe(2);
    expect(notRegistered.stderr).toContain('not the manifest of a registered run');
    const empty = mkdtempSync(join(dir, 'insurers-'));
    const noProfile = await runMain('mailing', 'receipts', '--manifest', registered, '--out', out, '--insurers', empty);
    expect(noProfile.code).toBe(2);
    expect(noProfile.stderr).toContain(`no insurer profile for 保険者番号 320036 in ${empty}`);
    expect(existsSync(out) || existsSync(join(dir, 'refused.csv'))).toBe(false);
  });

  it('refuses a wrong command line, exit 2: no --out, an --out that is no PDF, an unknown action', async () => {
    expect((await runMain('mailing', 'receipts', '--manifest', registered)).code).toBe(2);
    const csv = await runMain('mailing', 'receipts', '--manifest', registered, '--out', join(dir, 'list.csv'));
    expect(csv.code).toBe(2);
    expect(csv.stderr).toContain('the receipt list is a PDF');
    const unknown = await runMain('mailing', 'receive', '--manifest', registered);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the action is verify');
  });
});

describe('mailing returns', () => {
  it('writes the records of the returned pieces, named by number either way or by matching code, without their code and number', async () => {
    const numbers = lines(
      'back.txt',
      '131-12-38386-3', // envelope 2, printed form
      '',
      '13112383885', // envelope 4, 11 digits
      `${RUN}.000002.02.02`, // envelope 2 again, by a sheet's code
      ` ${RUN}.000001 `, // envelope 1, by its envelope's code
    );
    const out = join(dir, 'returned.json');
    const r = await runMain('mailing', 'returns', '--manifest', registered, '--numbers', numbers, '--data', data, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '4 returned pieces: 3 envelopes, 4 records',
        'envelope 1 (131-12-38385-2): records 1',
        'envelope 2 (131-12-38386-3): records 2, 3',
        'envelope 4 (131-12-38388-5): records 5',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(
      [1, 2, 3, 5].map((n) => ({ insurerNumber: '320036', name: `受取 ${n}郎`, ref: `R${n}` })),
    );
  });

  it('names each line that is no piece of the run by its number, exit 1, and still writes the others; it never repeats a line that is no number or code', async () => {
    const numbers = lines(
      'mixed.txt',
      '131-12-38387-4', // envelope 3
      '131-12-38387-5', // a wrong check digit
      '131-12-38399-2', // a number of the band, not of this run
      'ZZZZ99.000001.01.01', // another run's code
      '山田 太郎 様', // not a piece at all, and a name: never printed back
    );
    const out = join(dir, 'mixed.json');
    const r = await runMain('mailing', 'returns', '--manifest', registered, '--numbers', numbers, '--data', data, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      '5 returned pieces: 1 envelopes, 1 records',
      'envelope 3 (131-12-38387-4): records 4',
      'line 2: 131-12-38387-5: お問い合わせ番号 131-12-38387-5: its check digit is 4 (the first ten digits modulo 7), not 5',
      'line 3: 131-12-38399-2: no piece of this run has お問い合わせ番号 131-12-38399-2',
      'line 4: ZZZZ99.000001.01.01: no envelope of this run has this matching code',
      'line 5: neither an お問い合わせ番号 (131-12-38385-2) nor a matching code (RUN.ENVELOPE.SHEET.SHEETS or RUN.ENVELOPE)',
      '',
    ]);
    expect(r.stdout + r.stderr).not.toContain('山田');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([{ insurerNumber: '320036', name: '受取 4郎', ref: 'R4' }]);
  });

  it('works for a mailing run that is not registered, by matching code; a number there names no piece', async () => {
    const numbers = lines('plain.txt', `${RUN}.000003`, '131-12-38385-2');
    const out = join(dir, 'plain.json');
    const r = await runMain('mailing', 'returns', '--manifest', plain, '--numbers', numbers, '--data', data, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`envelope 3 (${RUN}.000003): records 4`);
    expect(r.stdout).toContain('line 2: 131-12-38385-2: this run is not registered: it has no お問い合わせ番号');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(1);
  });

  it('refuses a missing option and a manifest without envelopes, exit 2', async () => {
    const out = join(dir, 'none.json');
    expect((await runMain('mailing', 'returns', '--manifest', registered, '--data', data, '--out', out)).code).toBe(2);
    writeFileSync(join(dir, 'cards.json'), JSON.stringify({ layout: 'kokuho-card', records: [] }));
    const cards = await runMain(
      'mailing',
      'returns',
      '--manifest',
      join(dir, 'cards.json'),
      '--numbers',
      lines('x.txt', 'x'),
      '--data',
      data,
      '--out',
      out,
    );
    expect(cards.code).toBe(2);
    expect(cards.stderr).toContain('is it the manifest of a mailing run');
    expect(existsSync(out)).toBe(false);
  });
});

describe('mailing verify --reprint of a registered run', () => {
  it('gives each record its envelope’s お問い合わせ番号 with its envelope code; a run that is not registered gives none', async () => {
    const fresh = join(dir, 'fresh.json');
    writeFileSync(fresh, JSON.stringify([1, 2, 3, 4, 5].map((r) => ({ insurerNumber: '320036', ref: `R${r}` }))));
    // Envelope 2 misses its second sheet; the others pass whole.
    const codes = (m: string) => (JSON.parse(readFileSync(m, 'utf8')) as Manifest).envelopes!.flatMap((e) => e.codes);
    const scans = lines('scans.txt', ...codes(registered).filter((c) => c !== `${RUN}.000002.02.02`));
    const out = join(dir, 'again.json');
    const r = await runMain('mailing', 'verify', '--manifest', registered, '--scans', scans, '--reprint', out, '--data', fresh);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(
      [2, 3].map((n) => ({ insurerNumber: '320036', ref: `R${n}`, envelopeCode: `${RUN}.000002`, registeredNumber: '131-12-38386-3' })),
    );
    const plainOut = join(dir, 'again-plain.json');
    expect((await runMain('mailing', 'verify', '--manifest', plain, '--scans', scans, '--reprint', plainOut, '--data', fresh)).code).toBe(
      1,
    );
    expect(JSON.parse(readFileSync(plainOut, 'utf8'))).toEqual(
      [2, 3].map((n) => ({ insurerNumber: '320036', ref: `R${n}`, envelopeCode: `${RUN}.000002` })),
    );
  });
});
