// Mailing runs through the command line, in this process (the mailing issue's Done-when points):
// `render --mail household|employer [--sort postal]` on 300 generated records (the 1,000-record run is the
// job's, mail-jobs.test.ts), read back from what it
// writes: the manifest's envelopes (order, members, pages, sheets), the PDF's pages as pdftotext reads them
// (each envelope's carrier first, then exactly its members' documents), the mailing summary (counts that add
// up, no number or name of anyone); cards on their carrier sheets; and the refusals. The envelopes a run
// must make are worked out by the record generator (helpers/mail-records.ts) from how it made the records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailingSummary, Manifest } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';
import { inPostalOrder, kenpoEmployees, kokuhoHouseholds, type ExpectedEnvelope } from './helpers/mail-records.ts';
import { pageCount, pageText, wordBoxes } from './helpers/poppler.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-mail-run-'));

/** Where the carriers put their matching code (layouts/kokuho-mailer/layout.json matchingCode). */
const CARRIER_CODE = (
  JSON.parse(readFileSync(new URL('../layouts/kokuho-mailer/layout.json', import.meta.url), 'utf8')) as {
    matchingCode: { xMm: number; yMm: number };
  }
).matchingCode;

/**
 * The DataMatrix text ZXingReader (zxing-cpp-tools, an independent decoder) reads on page `page` at 300 dpi,
 * in the 14 mm square around where the layout puts the code: where an inserting camera looks.
 */
function codeAt(pdf: string, page: number, at: { xMm: number; yMm: number }): string {
  const px = (mm: number) => Math.round((mm / 25.4) * 300);
  const png = join(dir, `code-${page}`);
  execFileSync('pdftoppm', [
    '-r',
    '300',
    '-png',
    '-singlefile',
    '-f',
    String(page),
    '-l',
    String(page),
    '-x',
    String(px(at.xMm - 3)),
    '-y',
    String(px(at.yMm - 3)),
    '-W',
    String(px(14)),
    '-H',
    String(px(14)),
    pdf,
    png,
  ]);
  const out = execFileSync('ZXingReader', ['-format', 'DataMatrix', `${png}.png`], { encoding: 'utf8' });
  return /^Text:\s+"(.*)"$/m.exec(out)?.[1] ?? `(none: ${out.trim()})`;
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A 300-record run takes about 8 s on the 2-core machine with other renders beside it; 5× and more.
const LARGE_RUN_MS = 240_000;

type Envelope = NonNullable<Manifest['envelopes']>[number];
type MailManifest = Manifest & { envelopes: Envelope[] };

/** Writes `records` to a file of `dir` and runs `render --out NAME.pdf` with `args`; the run's files. */
async function mailRun(name: string, records: readonly unknown[], ...args: string[]) {
  const data = join(dir, `${name}.json`);
  writeFileSync(data, JSON.stringify(records));
  const out = join(dir, `${name}.pdf`);
  const run = await runMain('render', '--data', data, '--out', out, ...args);
  return { ...run, out };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const squeeze = (s: string) => s.replace(/\s+/gu, '');

/** Every page's text (pdftotext -layout, one call for the whole file), without blanks. */
function pagesOf(pdf: string): string[] {
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return text.split('\f').slice(0, -1).map(squeeze); // the text ends with a form feed
}

/** The records (1-based) whose names stand on a page: every run of characters of a name's length, looked up. */
function namesOn(page: string, byName: Map<string, number>, lengths: Set<number>): Set<number> {
  const found = new Set<number>();
  for (const n of lengths)
    for (let i = 0; i + n <= page.length; i++) {
      const r = byName.get(page.slice(i, i + n));
      if (r !== undefined) found.add(r);
    }
  return found;
}

interface RunShape {
  records: Record<string, unknown>[];
  expected: ExpectedEnvelope[];
  /** Members a carrier sheet lists (layout.json `listRows` of the carrier). */
  listRows: number;
  /** What only a carrier page shows; what only a document page shows. */
  carrierText: string;
  documentText: string;
  honorific: '様' | '御中';
}

/**
 * The checks every notice run shares: envelopes in postal order and as expected, every record in exactly one,
 * each envelope's pages its carrier sheets and then exactly its members' notices, and the summary's counts.
 */
function checkNoticeRun(out: string, shape: RunShape): void {
  const manifest = readJson<MailManifest>(`${out}.manifest.json`);
  const expected = inPostalOrder(shape.expected);
  const n = shape.records.length;

  // Envelopes: in postal order (then address, then first record), each with exactly its members, in input order.
  const envelopes = manifest.envelopes;
  expect(envelopes.map((e) => e.envelope)).toEqual(expected.map((_, k) => k + 1));
  expect(envelopes.map((e) => e.postalCode)).toEqual(expected.map((e) => e.postalCode));
  expect(envelopes.map((e) => e.records)).toEqual(expected.map((e) => e.members.map((i) => i + 1)));
  const codes = envelopes.map((e) => e.postalCode);
  expect(codes).toEqual([...codes].sort());

  // Every record in exactly one envelope, and its manifest entry names that envelope.
  const all = envelopes.flatMap((e) => e.records);
  expect(all.length).toBe(n);
  expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(manifest.records.map((r) => r.record)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  const envelopeOf = new Map(envelopes.flatMap((e) => e.records.map((r) => [r, e.envelope] as const)));
  for (const r of manifest.records) expect(r.envelope, `record ${r.record}`).toBe(envelopeOf.get(r.record));

  // Pages: envelopes one after another over the whole PDF; each its carrier sheets, then one page per member.
  const pages = pagesOf(out);
  expect(pages.length).toBe(manifest.pageCount);
  expect(pageCount(out)).toBe(manifest.pageCount);
  const byName = new Map(shape.records.map((r, i) => [squeeze(String(r.name)), i + 1]));
  expect(byName.size).toBe(n); // the generator's names are unique: a page's names say whose it is
  const lengths = new Set([...byName.keys()].map((k) => k.length));
  let next = 1;
  for (const [k, e] of envelopes.entries()) {
    const want = expected[k] as ExpectedEnvelope;
    const sheets = Math.ceil(e.records.length / shape.listRows);
    const at = `envelope ${e.envelope}`;
    expect(e.pages, at).toEqual([next, next + sheets + e.records.length - 1]);
    expect(e.sheets, at).toBe(sheets + e.records.length);
    expect(e.barcode, at).toMatch(new RegExp(`^${e.postalCode} \\S+ \\S+$`));
    for (let s = 0; s < sheets; s++) {
      const page = pages[next - 1 + s] as string;
      const where = `${at}, carrier page ${next + s}`;
      expect(page, where).toContain(squeeze(shape.carrierText));
      expect(page, where).not.toContain(squeeze(shape.documentText));
      expect(page, where).toContain(squeeze(`${s + 1} / ${sheets}`));
      expect(page, where).toContain(squeeze(`${want.addressee} ${shape.honorific}`));
      // The members this sheet lists, and nobody else (the 世帯主 in the 宛名 is one of them).
      const listed = e.records.slice(s * shape.listRows, (s + 1) * shape.listRows);
      expect(
        [...namesOn(page, byName, lengths)].sort((a, b) => a - b),
        where,
      ).toEqual([...listed].sort((a, b) => a - b));
    }
    next += sheets;
    for (const r of e.records) {
      const page = pages[next - 1] as string;
      const record = shape.records[r - 1] as Record<string, unknown>;
      const where = `${at}, record ${r}, page ${next}`;
      expect(page, where).toContain(squeeze(shape.documentText));
      expect(page, where).not.toContain(squeeze(shape.carrierText));
      expect([...namesOn(page, byName, lengths)], where).toEqual([r]);
      expect(page, where).toContain(`番号${String(record.number)}`);
      expect(manifest.records[r - 1]?.pages, where).toEqual([next, next]);
      next += 1;
    }
  }
  expect(next - 1).toBe(manifest.pageCount);

  // The summary: counts that add up, per 郵便区 as the expected envelopes' codes give them; no number, no name.
  const summaryText = readFileSync(`${out}.mailing.json`, 'utf8');
  const summary = JSON.parse(summaryText) as MailingSummary;
  expect(summary.envelopes).toBe(expected.length);
  expect(summary.records).toBe(n);
  expect(summary.sheets).toBe(envelopes.reduce((sum, e) => sum + e.sheets, 0));
  expect(summary.barcode).toEqual({ with: expected.length, without: 0 });
  const districts = new Map<string, number>();
  for (const e of expected) districts.set(e.postalCode.slice(0, 3), (districts.get(e.postalCode.slice(0, 3)) ?? 0) + 1);
  expect(summary.byDistrict).toEqual(
    [...districts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([district, count]) => ({ district, envelopes: count, withBarcode: count })),
  );
  expect(summary.byDistrict.reduce((sum, d) => sum + d.envelopes, 0)).toBe(summary.envelopes);
  expect(summary.bySheets.reduce((sum, s) => sum + s.envelopes, 0)).toBe(summary.envelopes);
  expect(summary.bySheets.reduce((sum, s) => sum + s.sheets * s.envelopes, 0)).toBe(summary.sheets);
  expect(summary.discounts.presorted).toBe(true);
  // As laid out: squeezed, the table's cells would run together into long numbers.
  const summaryPdf = execFileSync('pdftotext', ['-layout', `${out}.mailing.pdf`, '-'], { encoding: 'utf8' });
  for (const [what, text] of [
    ['mailing.json', summaryText],
    ['mailing.pdf', summaryPdf],
  ] as const) {
    expect(text, what).not.toMatch(/\d{7}|\d{3}-\d{4}/);
    expect(namesOn(squeeze(text), byName, lengths).size, what).toBe(0);
    for (const e of expected) {
      expect(text, what).not.toContain(e.addressee);
      expect(squeeze(text), what).not.toContain(squeeze(e.address).slice(0, 12)); // prefecture, city and town
    }
  }
}

describe('国保 notices mailed by household, in postal order: 300 records', () => {
  const { records, households } = kokuhoHouseholds(300);
  let run: Awaited<ReturnType<typeof mailRun>>;
  beforeAll(async () => {
    run = await mailRun('kokuho-household', records, '--layout', 'kokuho-notice', '--mail', 'household', '--sort', 'postal');
  }, LARGE_RUN_MS);

  it('the generated households are a test worth making: 1 to 5 members, shared postal codes and addresses, split in the input', () => {
    expect(households.length).toBeGreaterThan(100);
    expect(new Set(households.map((h) => h.members.length))).toEqual(new Set([1, 2, 3, 4, 5]));
    const perCode = new Map<string, number>();
    for (const h of households) perCode.set(h.postalCode, (perCode.get(h.postalCode) ?? 0) + 1);
    expect(perCode.size).toBeGreaterThanOrEqual(12);
    expect(new Set(households.map((h) => h.postalCode.slice(0, 3))).size).toBeGreaterThanOrEqual(12);
    expect(new Set(households.map((h) => `${h.postalCode} ${h.address}`)).size).toBeLessThan(households.length);
    expect(households.filter((h) => h.members.some((m, i) => i > 0 && m !== (h.members[i - 1] as number) + 1)).length).toBeGreaterThan(3);
  });

  it('writes the PDF, its manifest and the mailing summary', () => {
    expect(run.code, run.stderr).toBe(0);
    for (const file of [run.out, `${run.out}.manifest.json`, `${run.out}.mailing.json`, `${run.out}.mailing.pdf`])
      expect(existsSync(file)).toBe(true);
  });

  it('each sheet its matching code: envelope and sheet n of m in order, one run id; the first pages read back at 300 dpi', () => {
    expect(run.code, run.stderr).toBe(0);
    const manifest = readJson<MailManifest>(`${run.out}.manifest.json`);
    const two = (n: number) => String(n).padStart(2, '0');
    for (const e of manifest.envelopes) {
      const envelope = String(e.envelope).padStart(6, '0');
      e.codes.forEach((code, i) => expect(code).toMatch(new RegExp(`^[A-Z0-9]{6}\\.${envelope}\\.${two(i + 1)}\\.${two(e.sheets)}$`)));
    }
    expect(new Set(manifest.envelopes.flatMap((e) => e.codes.map((c) => c.split('.')[0]))).size).toBe(1);
    // Notices are one page a sheet: page p carries the p-th code.
    const codes = manifest.envelopes.flatMap((e) => e.codes);
    expect(codes).toHaveLength(pageCount(run.out));
    for (let p = 1; p <= 6; p++) expect(codeAt(run.out, p, CARRIER_CODE)).toBe(codes[p - 1]);
  });

  it('mailing verify finds the run complete from its true scan log, and names the two envelopes of a swapped sheet', async () => {
    const manifest = readJson<MailManifest>(`${run.out}.manifest.json`);
    const truth = manifest.envelopes.flatMap((e) => e.codes);
    writeFileSync(join(dir, 'scans-true.txt'), truth.join('\n'));
    const ok = await runMain('mailing', 'verify', '--manifest', `${run.out}.manifest.json`, '--scans', join(dir, 'scans-true.txt'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${manifest.envelopes.length} of ${manifest.envelopes.length} envelopes complete, 0 problems`);
    // A two-sheet envelope's second sheet and the next envelope's first sheet change places: envelopes in the
    // middle of the run, so that their reprint shows it keeps their numbers rather than counting from 1.
    const k = manifest.envelopes.findIndex((e, i) => i >= manifest.envelopes.length / 2 && e.codes.length >= 2);
    const [a, b] = [manifest.envelopes[k] as Envelope, manifest.envelopes[k + 1] as Envelope];
    const at = truth.indexOf(a.codes[1] as string);
    const swapped = [...truth];
    [swapped[at], swapped[at + a.codes.length - 1]] = [swapped[at + a.codes.length - 1] as string, swapped[at] as string];
    writeFileSync(join(dir, 'scans-swapped.txt'), swapped.join('\n'));
    const bad = await runMain('mailing', 'verify', '--manifest', `${run.out}.manifest.json`, '--scans', join(dir, 'scans-swapped.txt'));
    expect(bad.code).toBe(1);
    expect(new Set([...bad.stdout.matchAll(/^envelope (\d+):/gm)].map((m) => Number(m[1])))).toEqual(new Set([a.envelope, b.envelope]));

    // The reprint list holds just those two envelopes' records, and prints them again with their codes.
    const list = join(dir, 'reprint.json');
    const data = join(dir, 'kokuho-household.json');
    const again = await runMain(
      'mailing',
      'verify',
      '--manifest',
      `${run.out}.manifest.json`,
      '--scans',
      join(dir, 'scans-swapped.txt'),
      '--reprint',
      list,
      '--data',
      data,
    );
    expect(again.code).toBe(1);
    const reprint = readJson<{ name: string; envelopeCode: string }[]>(list);
    expect(reprint.map((r) => r.name)).toEqual([...a.records, ...b.records].map((n) => (records[n - 1] as { name: string }).name));
    const printed = await mailRun('kokuho-reprint', reprint, '--layout', 'kokuho-notice', '--mail', 'household', '--sort', 'postal');
    expect(printed.code, printed.stderr).toBe(0);
    const second = readJson<MailManifest>(`${printed.out}.manifest.json`);
    expect(second.envelopes.map((e) => e.codes)).toEqual([a.codes, b.codes]);
    expect(codeAt(printed.out, 1, CARRIER_CODE)).toBe(a.codes[0]);
  });

  it('each household its carrier, then exactly its members’ notices; envelopes in postal order; the summary adds up', () => {
    expect(run.code, run.stderr).toBe(0);
    checkNoticeRun(run.out, {
      records,
      expected: households,
      listRows: 10,
      carrierText: '国民健康保険 資格情報のお知らせの送付について',
      documentText: 'あなたの加入する健康保険の資格情報を下記のとおりお知らせします。',
      honorific: '様',
    });
  });
});

describe('協会けんぽ notices mailed through the employer, in postal order: 300 records, 8 employers', () => {
  const { records, employers } = kenpoEmployees(300, 8);
  let run: Awaited<ReturnType<typeof mailRun>>;
  beforeAll(async () => {
    run = await mailRun('kenpo-employer', records, '--layout', 'kenpo-notice', '--mail', 'employer', '--sort', 'postal');
  }, LARGE_RUN_MS);

  it('the generated employers are a test worth making: some need more than one 送付書 of 25 rows, two share a building', () => {
    expect(employers.some((e) => e.members.length > 50)).toBe(true);
    expect(employers.some((e) => e.members.length <= 25)).toBe(true);
    expect(new Set(employers.map((e) => `${e.postalCode} ${e.address}`)).size).toBeLessThan(employers.length);
  });

  it('each employer its 送付書 (御中), then exactly its employees’ notices; envelopes in postal order; the summary adds up', () => {
    expect(run.code, run.stderr).toBe(0);
    checkNoticeRun(run.out, {
      records,
      expected: employers,
      listRows: 25,
      carrierText: '資格情報のお知らせの送付について（事業主様へ）',
      documentText: 'あなたの加入する健康保険の資格情報を下記のとおりお知らせします。',
      honorific: '御中',
    });
  });
});

describe('国保 cards mailed by household: the cards on their carrier', () => {
  const SAMPLES = new URL('../layouts/kokuho-mailer/samples.json', import.meta.url).pathname;
  const samples = readJson<{ name: string }[]>(SAMPLES);
  const names = samples.map((r) => r.name);
  let run: Awaited<ReturnType<typeof mailRun>>;
  beforeAll(async () => {
    run = await mailRun('kokuho-card-household', samples, '--layout', 'kokuho-card', '--mail', 'household');
  });

  it('a household of 5 gets 2 carrier sheets (front and back each); each record points at the sheet that holds its card', () => {
    expect(run.code, run.stderr).toBe(0);
    const manifest = readJson<MailManifest>(`${run.out}.manifest.json`);
    expect(manifest.pageCount).toBe(6);
    expect(pageCount(run.out)).toBe(6);
    expect(
      manifest.envelopes.map(({ envelope, records, pages, sheets, postalCode }) => ({ envelope, records, pages, sheets, postalCode })),
    ).toEqual([
      { envelope: 1, records: [1, 2, 3, 4, 5], pages: [1, 4], sheets: 2, postalCode: '6930001' },
      { envelope: 2, records: [6], pages: [5, 6], sheets: 1, postalCode: '6930011' },
    ]);
    expect(manifest.records.map(({ record, pages, envelope }) => ({ record, pages, envelope }))).toEqual([
      { record: 1, pages: [1, 2], envelope: 1 },
      { record: 2, pages: [1, 2], envelope: 1 },
      { record: 3, pages: [1, 2], envelope: 1 },
      { record: 4, pages: [1, 2], envelope: 1 },
      { record: 5, pages: [3, 4], envelope: 1 },
      { record: 6, pages: [5, 6], envelope: 2 },
    ]);
  });

  it('page 1 shows the first 4 members (their cards), page 3 the 5th; the 5th card’s back is behind its front', () => {
    expect(run.code, run.stderr).toBe(0);
    const text = (p: number) => squeeze(pageText(run.out, p));
    const [first4, fifth, other] = [names.slice(0, 4).map(squeeze), squeeze(names[4] as string), squeeze(names[5] as string)];
    const page1 = text(1);
    for (const name of first4) expect(page1.split(name).length - 1, name).toBeGreaterThanOrEqual(2); // in the list and on the card
    expect(page1).not.toContain(fifth);
    expect(page1).toContain(squeeze('1 / 2'));
    const page3 = text(3);
    expect(page3.split(fifth).length - 1).toBeGreaterThanOrEqual(2);
    // The 世帯主 山田 太郎 is in the 宛名 and on the card as 世帯主氏名; the other three are on sheet 1 only.
    for (const name of first4.slice(1)) expect(page3, name).not.toContain(name);
    expect(page3).toContain(squeeze('2 / 2'));
    expect(text(5)).toContain(other);
    // Long-edge duplex: the card in the left slot of the front has its back in the right slot of the back.
    const half = 595.28 / 2;
    const front = wordBoxes(run.out, 3).filter((w) => w.text === 'さくら');
    expect(front.length).toBeGreaterThan(0);
    for (const w of front.filter((w) => w.yMin > 300)) expect(w.xMax).toBeLessThan(half); // the card, not the list
    const back = wordBoxes(run.out, 4).filter((w) => w.text === '備考');
    expect(back).toHaveLength(1);
    expect(back[0]?.xMin).toBeGreaterThan(half);
  });

  it('every page carries its sheet’s matching code, which ZXingReader reads at 300 dpi where the layout puts it', () => {
    const manifest = readJson<MailManifest>(`${run.out}.manifest.json`);
    // Sheet by sheet: a carrier sheet's two sides carry the same code.
    const byPage = manifest.envelopes.flatMap((e) => e.codes.flatMap((code) => [code, code]));
    expect(byPage).toHaveLength(pageCount(run.out));
    const read = byPage.map((_, i) => codeAt(run.out, i + 1, CARRIER_CODE));
    expect(read).toEqual(byPage);
    const runs = new Set(byPage.map((c) => c.split('.')[0]));
    expect(runs.size).toBe(1);
    expect(manifest.envelopes.map((e) => e.codes)).toEqual([
      [expect.stringMatching(/^[A-Z0-9]{6}\.000001\.01\.02$/), expect.stringMatching(/^[A-Z0-9]{6}\.000001\.02\.02$/)],
      [expect.stringMatching(/^[A-Z0-9]{6}\.000002\.01\.01$/)],
    ]);
  });
});

describe('refusals', () => {
  const SAMPLES = new URL('../layouts/kokuho-mailer/samples.json', import.meta.url).pathname;
  const samples = readJson<Record<string, unknown>[]>(SAMPLES);
  const nothingWritten = (out: string) => {
    for (const file of [out, `${out}.manifest.json`, `${out}.mailing.json`, `${out}.mailing.pdf`])
      expect(existsSync(file), file).toBe(false);
  };

  it('--mail household with a record without postalCode: exit 2 naming the record and the field, nothing written', async () => {
    const records = samples.map((r, i) => (i === 2 ? Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'postalCode')) : r));
    const run = await mailRun('no-postal-code', records, '--layout', 'kokuho-card', '--mail', 'household');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('1 of 6 records cannot be mailed');
    expect(run.stderr).toMatch(/^ {2}record 3 \(記号 出雲12 番号 0034567\): 郵便番号 \(postalCode\): .*received nothing$/mu);
    expect(run.stderr).not.toMatch(/record [12456] /);
    nothingWritten(run.out);
  });

  it('--mail employer on kokuho-card: refused, saying how it is mailed', async () => {
    const run = await mailRun('card-by-employer', samples, '--layout', 'kokuho-card', '--mail', 'employer');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('layout kokuho-card cannot be mailed by employer: it is mailed by household, person');
    nothingWritten(run.out);
  });

  it('--sort postal without --mail: a usage error', async () => {
    const run = await mailRun('sort-alone', samples, '--layout', 'kokuho-card', '--sort', 'postal');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^shikaku-print: --sort postal .*give --mail too$/mu);
    expect(run.stderr).not.toContain('rendering');
    nothingWritten(run.out);
  });
});
