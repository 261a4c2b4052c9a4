// Registered and recorded mail through the command line, in this process (issue 26's Done-when points):
// a 簡易書留 run of 300 households takes 300 consecutive valid お問い合わせ番号 from its band, each printed
// under its 宛名 and read back by an independent decoder (zbarimg) as the printed number; a second run
// continues after the first's last number; a band too small is refused before anything prints; a reprint
// keeps its envelopes' numbers and takes none. The numbers taken are kept in SHIKAKU_DATA_DIR.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatInquiry, parseInquiry, type Manifest } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';
import { kokuhoHouseholds } from './helpers/mail-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-registered-'));
const dataDir = join(dir, 'data');
const envBefore = process.env.SHIKAKU_DATA_DIR;
beforeAll(() => {
  process.env.SHIKAKU_DATA_DIR = dataDir;
});
afterAll(() => {
  if (envBefore === undefined) delete process.env.SHIKAKU_DATA_DIR;
  else process.env.SHIKAKU_DATA_DIR = envBefore;
  rmSync(dir, { recursive: true, force: true });
});

// About 500 cards on 300 carrier sheets: some 12 s on the 2-core machine alone; 5× and more.
const LARGE_RUN_MS = 300_000;

type Envelope = NonNullable<Manifest['envelopes']>[number];
type RegisteredManifest = Manifest & { envelopes: Envelope[]; registered: NonNullable<Manifest['registered']> };

/** The band the post office handed out: 131-12-38385-2 and the 399 after it. */
const FIRST = '131-12-38385-2';
const BAND = `${FIRST}-${formatInquiry(`${1311238385 + 399}${(1311238385 + 399) % 7}`)}`;
const next = (printed: string, by = 1) => {
  const ten = Number(parseInquiry(printed).slice(0, 10)) + by;
  return formatInquiry(`${ten}${ten % 7}`);
};

async function run(name: string, records: readonly unknown[], ...args: string[]) {
  const data = join(dir, `${name}.json`);
  writeFileSync(data, JSON.stringify(records));
  const out = join(dir, `${name}.pdf`);
  const result = await runMain('render', '--layout', 'kokuho-card', '--mail', 'household', '--data', data, '--out', out, ...args);
  return { ...result, out, data };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/**
 * The records of the first 300 households the generator makes (more would follow), at most two members of
 * each (one number an envelope, not a person; fewer cards to print), with what a card needs besides a
 * notice's fields.
 */
function households300() {
  const { records, households } = kokuhoHouseholds(900);
  if (households.length < 300) throw new Error(`the generator made ${households.length} households of 900 records`);
  const card = { sex: '女', birthDate: '1961-04-02', expiryDate: '2027-07-31' };
  return households
    .slice(0, 300)
    .flatMap((h) => h.members.slice(0, 2).map((i) => ({ ...(records[i] as Record<string, unknown>), ...card })));
}

/**
 * What zbarimg (an independent decoder) reads as NW-7 (Codabar) on each page's 宛名 area, at 300 dpi: one
 * pdftoppm call crops every page, one zbarimg call reads them all.
 */
function codabarByPage(pdf: string, firstPage: number, lastPage: number): Map<number, string[]> {
  const crops = join(dir, `crops-${Date.now()}`);
  mkdirSync(crops);
  const px = (mm: number) => String(Math.round((mm / 25.4) * 300));
  // The window's area on the sheet (envelopes/naga3-window.json) with its play: x 20–110 mm, y 15–56 mm.
  execFileSync('pdftoppm', [
    ...['-r', '300', '-gray', '-aa', 'no', '-aaVector', 'no', '-o'],
    ...['-f', String(firstPage), '-l', String(lastPage)],
    ...['-x', px(20), '-y', px(15), '-W', px(90), '-H', px(41)],
    pdf,
    join(crops, 'p'),
  ]);
  const files = readdirSync(crops)
    .sort()
    .map((f) => join(crops, f));
  let xml = '';
  try {
    xml = execFileSync('zbarimg', ['--xml', '-q', '-Sdisable', '-Scodabar.enable', ...files], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    // zbarimg exits 4 when some image has no barcode; its XML is still whole.
    xml = String((err as { stdout?: string }).stdout ?? '');
  }
  const out = new Map<number, string[]>();
  for (const source of xml.split('<source').slice(1)) {
    const page = Number(/href='[^']*-(\d+)\.pgm'/.exec(source)?.[1]);
    out.set(
      page,
      [...source.matchAll(/<data><!\[CDATA\[(.*?)\]\]><\/data>/g)].map((m) => m[1] as string),
    );
  }
  rmSync(crops, { recursive: true, force: true });
  return out;
}

describe('簡易書留 of 300 households: consecutive numbers from the band, each read back as printed', () => {
  const records = households300();
  let first: Awaited<ReturnType<typeof run>>;
  let manifest: RegisteredManifest;
  beforeAll(async () => {
    first = await run('kani-300', records, '--sort', 'postal', '--registered', 'kani', '--numbers', BAND);
    expect(first.code, first.stderr).toBe(0);
    manifest = readJson<RegisteredManifest>(`${first.out}.manifest.json`);
  }, LARGE_RUN_MS);

  it('300 envelopes numbered 131-12-38385-2 on, one after another, each with a valid check digit', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(manifest.envelopes).toHaveLength(300);
    expect(manifest.envelopes.filter((e) => e.records.length === 2).length).toBeGreaterThan(100);
    const numbers = manifest.envelopes.map((e) => e.registeredNumber as string);
    expect(numbers).toEqual(Array.from({ length: 300 }, (_, k) => next(FIRST, k)));
    for (const n of numbers) expect(formatInquiry(parseInquiry(n))).toBe(n);
    expect(manifest.registered).toEqual({
      kind: 'kani',
      label: '簡易書留',
      insurerNumber: (records[0] as Record<string, unknown>).insurerNumber,
      first: FIRST,
      last: next(FIRST, 299),
      count: 300,
    });
    // The receipt list's rows: each envelope's addressee and address, as on the piece.
    for (const e of manifest.envelopes) {
      expect(e.addressee).toMatch(/ 様$/u);
      expect(e.address?.length).toBeGreaterThan(5);
    }
  });

  it('writes the receipt list beside the PDF: 300 pieces on 20 pages of 15, and the same rows as CSV', () => {
    expect(first.code, first.stderr).toBe(0);
    const pdf = `${first.out}.receipts.pdf`;
    expect(/^Pages:\s+(\d+)$/m.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))?.[1]).toBe('20');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const pages = text.split('\f').slice(0, -1);
    const numbersOn = (page: string) => page.match(/\d{3}-\d{2}-\d{5}-\d/g) ?? [];
    // 15 a page, in envelope order (the last page names the range again in its summary).
    expect(
      pages.flatMap((p, i) =>
        numbersOn(p)
          .slice(0, 15)
          .map((n) => [i + 1, n]),
      ),
    ).toEqual(manifest.envelopes.map((e, k) => [Math.floor(k / 15) + 1, e.registeredNumber]));
    expect(pages[19]).toContain('20 / 20');
    const csv = readFileSync(`${first.out}.receipts.csv`, 'utf8').trim().split(/\r?\n/);
    expect(csv).toHaveLength(301);
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(manifest.envelopes.map((e) => e.registeredNumber));
  });

  it('zbarimg reads each carrier’s NW-7 barcode as its number, and the number is printed beside it with 簡易書留', () => {
    expect(first.code, first.stderr).toBe(0);
    const read = codabarByPage(first.out, 1, manifest.pageCount);
    for (const e of manifest.envelopes) {
      const front = e.pages[0];
      const digits = (e.registeredNumber as string).replace(/-/g, '');
      expect(read.get(front), `envelope ${e.envelope}, page ${front}`).toEqual([`A${digits}A`]);
    }
    // A household's further carrier sheets repeat its 宛名 and number; no sheet shows another envelope's.
    const owner = (page: number) => manifest.envelopes.find((e) => e.pages[0] <= page && page <= e.pages[1]) as Envelope;
    const strays = [...read].filter(([page, codes]) =>
      codes.some((c) => c !== `A${(owner(page).registeredNumber as string).replace(/-/g, '')}A`),
    );
    expect(strays).toEqual([]);
    expect([...read.values()].filter((c) => c.length > 0).length).toBe(manifest.envelopes.reduce((n, e) => n + e.sheets, 0));
    for (const e of manifest.envelopes.slice(0, 3)) {
      // In reading order (not -layout): the kind, then the number under it.
      const text = execFileSync('pdftotext', ['-f', String(e.pages[0]), '-l', String(e.pages[0]), first.out, '-'], { encoding: 'utf8' });
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.trim() === '簡易書留');
      expect(lines[at + 1]?.trim(), `envelope ${e.envelope}`).toBe(e.registeredNumber);
    }
  });

  it('a second run continues after the first’s last number; a band too small is refused before anything prints', async () => {
    expect(first.code, first.stderr).toBe(0);
    const five = manifest.envelopes.slice(0, 5).flatMap((e) => e.records.map((r) => records[r - 1]));
    const second = await run('kani-second', five, '--registered', 'kani', '--numbers', BAND);
    expect(second.code, second.stderr).toBe(0);
    const numbers = readJson<RegisteredManifest>(`${second.out}.manifest.json`).envelopes.map((e) => e.registeredNumber);
    expect(numbers).toEqual([0, 1, 2, 3, 4].map((k) => next(FIRST, 300 + k)));

    // 95 numbers are left of the band: 300 households need more. Nothing is written, no number is taken.
    const store = readFileSync(join(dataDir, 'registered-numbers.json'), 'utf8');
    const refused = await run('kani-refused', records, '--registered', 'kani', '--numbers', BAND);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('has 95 numbers left, the run needs 300');
    expect(refused.stderr).not.toContain('rendering');
    for (const f of [refused.out, `${refused.out}.manifest.json`]) expect(existsSync(f), f).toBe(false);
    expect(readFileSync(join(dataDir, 'registered-numbers.json'), 'utf8')).toBe(store);
  });

  it('a reprint (mailing verify --reprint) keeps its envelopes’ numbers and takes none from the band', async () => {
    expect(first.code, first.stderr).toBe(0);
    const [a, b] = [manifest.envelopes[150] as Envelope, manifest.envelopes[151] as Envelope];
    // The scan log misses envelope b's first sheet.
    const scans = manifest.envelopes.flatMap((e) => (e === b ? e.codes.slice(1) : e.codes));
    writeFileSync(join(dir, 'scans.txt'), scans.join('\n'));
    const list = join(dir, 'reprint.json');
    const verify = await runMain(
      'mailing',
      'verify',
      '--manifest',
      `${first.out}.manifest.json`,
      '--scans',
      join(dir, 'scans.txt'),
      '--reprint',
      list,
      '--data',
      first.data,
    );
    expect(verify.code).toBe(1);
    const reprint = readJson<{ registeredNumber: string }[]>(list);
    expect(new Set(reprint.map((r) => r.registeredNumber))).toEqual(new Set([b.registeredNumber]));
    expect(a.registeredNumber).not.toBe(b.registeredNumber);
    const store = readFileSync(join(dataDir, 'registered-numbers.json'), 'utf8');
    // No band needed: every envelope keeps its number.
    const again = await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--mail',
      'household',
      '--registered',
      'kani',
      '--data',
      list,
      '--out',
      join(dir, 'reprint.pdf'),
    );
    expect(again.code, again.stderr).toBe(0);
    const reprinted = readJson<RegisteredManifest>(join(dir, 'reprint.pdf.manifest.json'));
    expect(reprinted.envelopes.map((e) => [e.registeredNumber, e.codes])).toEqual([[b.registeredNumber, b.codes]]);
    expect(readFileSync(join(dataDir, 'registered-numbers.json'), 'utf8')).toBe(store);
    const read = codabarByPage(join(dir, 'reprint.pdf'), 1, 1);
    expect(read.get(1)).toEqual([`A${(b.registeredNumber as string).replace(/-/g, '')}A`]);
  });
});

describe('refusals of a registered run', () => {
  const SAMPLES = new URL('../layouts/kokuho-mailer/samples.json', import.meta.url).pathname;
  const samples = readJson<Record<string, unknown>[]>(SAMPLES);

  it('--registered without --mail, --numbers without --registered, and a bad band: usage errors naming the option', async () => {
    const data = join(dir, 'samples.json');
    writeFileSync(data, JSON.stringify(samples));
    const out = join(dir, 'refused.pdf');
    const noMail = await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      data,
      '--out',
      out,
      '--registered',
      'kani',
      '--numbers',
      FIRST,
    );
    expect(noMail.code).toBe(2);
    expect(noMail.stderr).toContain('--registered numbers the envelopes of a mailing run: give --mail too');
    const noKind = await run('no-kind', samples, '--numbers', FIRST);
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toContain('--numbers is the band of お問い合わせ番号 of registered mail');
    const badCheck = await run('bad-check', samples, '--registered', 'kani', '--numbers', '131-12-38385-3');
    expect(badCheck.code).toBe(2);
    expect(badCheck.stderr).toContain('--numbers: お問い合わせ番号 131-12-38385-3: its check digit is 2');
    const noBand = await run('no-band', samples, '--registered', 'kani');
    expect(noBand.code).toBe(2);
    expect(noBand.stderr).toContain('2 envelopes need an お問い合わせ番号');
  });

  it('a record’s registeredNumber outside a registered run, and two envelopes with one number: exit 2 naming the records', async () => {
    const kept = samples.map((r) => ({ ...r, registeredNumber: FIRST }));
    const plain = await run('kept-plain', kept);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/record 1 .*お問い合わせ番号 \(registeredNumber\): an お問い合わせ番号 prints only in a registered run/u);
    const shared = await run('kept-shared', kept, '--registered', 'kani');
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/record 6 .*131-12-38385-2 is already the number of envelope 1 of this run/u);
  });
});
