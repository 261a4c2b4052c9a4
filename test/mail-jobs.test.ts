// Mailing runs as batch jobs (the mailing issue; docs/spec/interfaces.md, Mailing): mail=, sort=postal over
// HTTP, chunks of whole envelopes joined in envelope order, the manifest's envelopes renumbered through the
// job, and the mailing summary served beside the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, startTestService, waitForJob, type TestService } from './helpers/service.ts';
import { runMain } from './helpers/main-in-process.ts';
import { inPostalOrder, kenpoEmployees, kokuhoHouseholds } from './helpers/mail-records.ts';
import { pageCount } from './helpers/poppler.ts';
import { formatInquiry, parseMatchingCode, type EnvelopeOutput, type Manifest, type RegisteredRun } from '../engine/index.ts';
import type { ManifestRecord } from '../engine/output/manifest.ts';

const JSON_BODY = { ...AUTH, 'content-type': 'application/json' };

/** A mailing job's manifest: the engine's, with its envelopes and every record printed in one. */
type MailManifest = Omit<Manifest, 'records'> & { records: (ManifestRecord & { envelope: number })[]; envelopes: EnvelopeOutput[] };

let svc: TestService;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-mail-jobs-'));

beforeAll(async () => {
  svc = await startTestService({ engine: { tabs: 1 } });
}, 120_000);

afterAll(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The DataMatrix each page of `pdf` carries, as ZXingReader (zxing-cpp-tools, an independent decoder) reads
 * it in the 14 mm square around 6 mm × 282 mm (the layouts' matchingCode) at 300 dpi: one pdftoppm call crops
 * every page, in grey without anti-aliasing (a scanner's sharp dots, and fast), one ZXingReader call reads them.
 */
function matchingCodesRead(pdf: string): string[] {
  const crops = mkdtempSync(join(dir, 'codes-'));
  const px = (mm: number) => String(Math.round((mm / 25.4) * 300));
  execFileSync('pdftoppm', [
    '-r',
    '300',
    '-gray',
    '-aa',
    'no',
    '-aaVector',
    'no',
    '-png',
    '-x',
    px(3),
    '-y',
    px(279),
    '-W',
    px(14),
    '-H',
    px(14),
    pdf,
    join(crops, 'p'),
  ]);
  const files = readdirSync(crops)
    .sort()
    .map((f) => join(crops, f));
  const out = execFileSync('ZXingReader', ['-1', '-format', 'DataMatrix', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(crops, { recursive: true, force: true });
  // One line a file: `NAME DataMatrix "TEXT"`, or the file's name and why nothing was read.
  const read = new Map([...out.matchAll(/^(\S+) DataMatrix "(.*)"$/gm)].map((m) => [m[1], m[2]]));
  return files.map((f) => read.get(f) ?? `(nothing read on ${f})`);
}

const post = (query: string, body: unknown) =>
  fetch(`${svc.base}/v1/jobs?${query}`, { method: 'POST', headers: JSON_BODY, body: JSON.stringify(body) });

describe('a mailing job', () => {
  it('mail=household&sort=postal on 1,000 国保 records: envelopes in postal order across chunks, every record in exactly one, pages joined in envelope order, the summary beside', async () => {
    // 1,000 records (the mailing issue's run): ten chunks of whole envelopes at the job's 100 records a chunk.
    const { records, households } = kokuhoHouseholds(1000, 7);
    const created = await post('layout=kokuho-notice&mail=household&sort=postal', records);
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const job = await waitForJob(svc.base, id, 900_000);
    expect(job.state).toBe('done');
    expect(job.progress.done).toBe(1000);

    const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as MailManifest;
    const expected = inPostalOrder(households);
    expect(manifest.envelopes.map((e) => e.records)).toEqual(expected.map((h) => h.members.map((i) => i + 1)));
    expect(manifest.envelopes.map((e) => e.envelope)).toEqual(expected.map((_, k) => k + 1));
    // Every record once, in the envelope the manifest names, on pages inside that envelope's.
    const seen = manifest.envelopes.flatMap((e) => e.records).sort((a, b) => a - b);
    expect(seen).toEqual(records.map((_, i) => i + 1));
    for (const r of manifest.records) {
      const e = manifest.envelopes[r.envelope - 1];
      expect(e?.records).toContain(r.record);
      expect(r.pages[0]).toBeGreaterThan(e?.pages[0] as number); // the carrier comes first
      expect(r.pages[1]).toBeLessThanOrEqual(e?.pages[1] as number);
    }
    // Envelopes follow each other page by page: carrier and notices, nothing lost or doubled at a chunk's seam.
    let next = 1;
    for (const e of manifest.envelopes) {
      expect(e.pages[0]).toBe(next);
      expect(e.pages[1] - e.pages[0] + 1).toBe(e.sheets);
      expect(e.sheets).toBe(1 + e.records.length);
      next = e.pages[1] + 1;
    }
    // Matching codes numbered through the job, whatever chunk printed them, under one run id.
    for (const e of manifest.envelopes) {
      expect(e.codes).toHaveLength(e.sheets);
      expect(e.codes.map((c) => parseMatchingCode(c))).toEqual(
        e.codes.map((_, i) => ({ run: expect.stringMatching(/^[A-Z0-9]{6}$/), envelope: e.envelope, sheet: i + 1, sheets: e.sheets })),
      );
    }
    expect(new Set(manifest.envelopes.flatMap((e) => e.codes.map((c) => c.split('.')[0]))).size).toBe(1);
    const result = join(dir, 'household.pdf');
    writeFileSync(result, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
    expect(pageCount(result)).toBe(next - 1);
    // Every sheet's code as an independent decoder reads it at 300 dpi where the layouts put it: each sheet
    // of this run is one page (a carrier's first side, or a notice).
    expect(matchingCodesRead(result)).toEqual(manifest.envelopes.flatMap((e) => e.codes));

    // The inserting line's log, true: every envelope complete. Then one sheet swapped between two envelopes,
    // one missing, one duplicated and one envelope never seen: exactly those five envelopes are named, and the
    // reprint list, printed again as a job, gives just them with the codes they had.
    const manifestFile = join(dir, 'household.manifest.json');
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const log = (lines: string[]) => {
      const file = join(dir, `scans-${lines.length}-${Math.random().toString(36).slice(2)}.txt`);
      writeFileSync(file, lines.join('\n'));
      return file;
    };
    const truth = manifest.envelopes.flatMap((e) => e.codes);
    const ok = await runMain('mailing', 'verify', '--manifest', manifestFile, '--scans', log(truth));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${expected.length} of ${expected.length} envelopes complete, 0 problems`);
    const env = (k: number) => manifest.envelopes[k] as EnvelopeOutput;
    const at = (f: number) => Math.floor(manifest.envelopes.length * f);
    const [swapA, swapB, missing, doubled, absent] = [env(at(0.2)), env(at(0.2) + 1), env(at(0.4)), env(at(0.6)), env(at(0.8))];
    const faulty = manifest.envelopes.flatMap((e) => {
      if (e === absent) return [];
      if (e === swapA) return [...e.codes.slice(0, -1), swapB.codes[0] as string];
      if (e === swapB) return [swapA.codes.at(-1) as string, ...e.codes.slice(1)];
      if (e === missing) return e.codes.slice(0, -1);
      if (e === doubled) return [e.codes[0] as string, ...e.codes];
      return e.codes;
    });
    const recordsFile = join(dir, 'household-records.json');
    writeFileSync(recordsFile, JSON.stringify(records));
    const reprintFile = join(dir, 'household-reprint.json');
    const bad = await runMain(
      'mailing',
      'verify',
      '--manifest',
      manifestFile,
      '--scans',
      log(faulty),
      '--reprint',
      reprintFile,
      '--data',
      recordsFile,
    );
    expect(bad.code).toBe(1);
    const named = [...bad.stdout.matchAll(/^envelope (\d+): (\S+)(?: \(sheet (\S+)\))?$/gm)].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(new Set(named.map(([e]) => e))).toEqual(new Set([swapA, swapB, missing, doubled, absent].map((e) => e.envelope)));
    expect(named).toContainEqual([missing.envelope, 'missing-sheet', String(missing.codes.length)]);
    expect(named).toContainEqual([doubled.envelope, 'duplicate-sheet', '1']);
    expect(named).toContainEqual([absent.envelope, 'not-seen', undefined]);
    const reprint = JSON.parse(readFileSync(reprintFile, 'utf8')) as Record<string, unknown>[];
    const again = await post('layout=kokuho-notice&mail=household&sort=postal', reprint);
    expect(again.status).toBe(202);
    const { id: againId } = (await again.json()) as { id: string };
    expect((await waitForJob(svc.base, againId, 300_000)).state).toBe('done');
    const reprinted = (await (await fetch(`${svc.base}/v1/jobs/${againId}/manifest`, { headers: AUTH })).json()) as MailManifest;
    const wanted = [swapA, swapB, missing, doubled, absent].sort((a, b) => a.envelope - b.envelope);
    expect(reprinted.envelopes.map((e) => e.codes)).toEqual(wanted.map((e) => e.codes));

    const summary = (await (await fetch(`${svc.base}/v1/jobs/${id}/mailing`, { headers: AUTH })).json()) as {
      envelopes: number;
      records: number;
      sheets: number;
      byDistrict: { district: string; envelopes: number }[];
    };
    expect(summary.envelopes).toBe(expected.length);
    expect(summary.records).toBe(1000);
    expect(summary.sheets).toBe(next - 1);
    expect(summary.byDistrict.reduce((n, d) => n + d.envelopes, 0)).toBe(expected.length);
    // Counts only: no postal code beyond its 郵便区 (the run's name holds the job id, hex that may have 7 digits in a row).
    const { run: _run, ...counts } = summary as typeof summary & { run: unknown };
    expect(JSON.stringify(counts)).not.toMatch(/\d{7}/);
    expect(summary.byDistrict.every((d) => /^(\d{3}|none)$/.test(d.district))).toBe(true);
    const pdf = await fetch(`${svc.base}/v1/jobs/${id}/mailing.pdf`, { headers: AUTH });
    expect(pdf.status).toBe(200);
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  }, 900_000);

  it('mail=employer&sort=postal on 協会けんぽ records: each employer one envelope, its 送付書 sheets then its employees, whatever the chunks', async () => {
    // An employer of more than 100 employees is one envelope all the same: a chunk holds whole envelopes.
    const { records, employers } = kenpoEmployees(300, 8);
    expect(employers.some((e) => e.members.length > 25)).toBe(true);
    const created = await post('layout=kenpo-notice&mail=employer&sort=postal', records);
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    expect((await waitForJob(svc.base, id, 600_000)).state).toBe('done');
    const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as MailManifest;
    const expected = inPostalOrder(employers);
    expect(manifest.envelopes.map((e) => e.records)).toEqual(expected.map((h) => h.members.map((i) => i + 1)));
    let next = 1;
    for (const e of manifest.envelopes) {
      expect(e.pages[0]).toBe(next);
      // 25 employees a 送付書 sheet, then one notice each.
      expect(e.sheets).toBe(Math.ceil(e.records.length / 25) + e.records.length);
      for (const r of e.records) {
        const entry = manifest.records[r - 1];
        expect(entry?.envelope).toBe(e.envelope);
        expect(entry?.pages[0]).toBeGreaterThan(e.pages[0] + Math.ceil(e.records.length / 25) - 1);
      }
      next = e.pages[1] + 1;
    }
    expect(manifest.envelopes.every((e) => e.barcode !== null)).toBe(true);
  }, 600_000);

  it('a record that cannot be mailed is rejected naming its field, and the rest is mailed', async () => {
    const { records } = kokuhoHouseholds(6, 3);
    const bad = { ...records[0], postalCode: undefined, householdId: 'alone' };
    const created = await post('layout=kokuho-notice&mail=household', [...records.slice(1), bad]);
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const job = await waitForJob(svc.base, id, 300_000);
    expect(job.state).toBe('done');
    expect(job.progress.rejected).toBe(1);
    expect(job.rejections).toEqual([expect.objectContaining({ record: 6, path: 'postalCode' })]);
  }, 300_000);

  it('refuses what a mailing run cannot be: production output, a layout without that carrier, sort without mail, an unknown envelope', async () => {
    const { records } = kokuhoHouseholds(2, 5);
    const answers = await Promise.all([
      post('layout=kokuho-notice&mail=household&impose=a4', records),
      post('layout=kokuho-notice&mail=employer', records),
      post('layout=kokuho-notice&sort=postal', records),
      post('layout=kokuho-notice&mail=household&envelope=no-such-envelope', records),
    ]);
    const texts = await Promise.all(answers.map((a) => a.text()));
    expect(answers.map((a) => a.status)).toEqual([400, 422, 400, 422]);
    expect(texts[0]).toContain('impose');
    expect(texts[1]).toContain('cannot be mailed by employer');
    expect(texts[2]).toContain('give mail= too');
    expect(texts[3]).toContain('no-such-envelope');
  }, 120_000);
});

describe('a registered mailing job (registered=, numbers=)', () => {
  const FIRST = 1311238385; // 131-12-38385-2
  const printed = (ten: number) => formatInquiry(`${ten}${ten % 7}`);
  const band = (count: number) => `${printed(FIRST)}-${printed(FIRST + count - 1)}`;
  const manifestOf = async (id: string) =>
    (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as MailManifest & {
      registered: RegisteredRun;
    };
  const done = async (answer: Response) => {
    expect(answer.status, await answer.clone().text()).toBe(202);
    const { id } = (await answer.json()) as { id: string };
    expect((await waitForJob(svc.base, id, 600_000)).state).toBe('done');
    return { ...(await manifestOf(id)), id };
  };

  it('numbers its envelopes through the job from the band, across chunks; the next job continues; a band too small and a reprint take none', async () => {
    // 250 records: three chunks of whole households.
    const { records } = kokuhoHouseholds(250, 11);
    const first = await done(await post(`layout=kokuho-notice&mail=household&sort=postal&registered=kani&numbers=${band(1000)}`, records));
    const n = first.envelopes.length;
    expect(first.envelopes.map((e) => e.registeredNumber)).toEqual(first.envelopes.map((_, k) => printed(FIRST + k)));
    expect(first.registered).toEqual({
      kind: 'kani',
      label: '簡易書留',
      insurerNumber: records[0]?.insurerNumber,
      first: printed(FIRST),
      last: printed(FIRST + n - 1),
      count: n,
    });
    for (const e of first.envelopes) expect(e.addressee).toMatch(/ 様$/u);
    // Its receipt list beside the result: the same numbers, 15 a page, and as CSV.
    const receipts = await fetch(`${svc.base}/v1/jobs/${first.id}/receipts.pdf`, { headers: AUTH });
    expect(receipts.status).toBe(200);
    const receiptsPdf = join(dir, 'receipts.pdf');
    writeFileSync(receiptsPdf, Buffer.from(await receipts.arrayBuffer()));
    expect(pageCount(receiptsPdf)).toBe(Math.ceil(n / 15));
    const csv = (await (await fetch(`${svc.base}/v1/jobs/${first.id}/receipts.csv`, { headers: AUTH })).text()).trim().split(/\r?\n/);
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(first.envelopes.map((e) => e.registeredNumber));

    // A band with fewer numbers left than envelopes: refused whole, nothing kept, no number taken.
    const short = await post(`layout=kokuho-notice&mail=household&registered=kani&numbers=${band(n + 3)}`, records);
    expect(short.status).toBe(422);
    expect(await short.text()).toContain(`has 3 numbers left, the run needs ${n}`);

    // A reprint of two envelopes keeps their codes and numbers (the records say which) and takes none.
    const [a, b] = [first.envelopes[5] as EnvelopeOutput, first.envelopes[6] as EnvelopeOutput];
    const again = [a, b].flatMap((e) =>
      e.records.map((r) => ({
        ...records[r - 1],
        envelopeCode: (e.codes[0] as string).split('.').slice(0, 2).join('.'),
        registeredNumber: e.registeredNumber,
      })),
    );
    const reprint = await done(await post('layout=kokuho-notice&mail=household&registered=kani', again));
    expect(reprint.envelopes.map((e) => [e.registeredNumber, e.codes])).toEqual([a, b].map((e) => [e.registeredNumber, e.codes]));

    // The next job goes on after the first's last number.
    const next = await done(await post(`layout=kokuho-notice&mail=household&registered=kani&numbers=${band(1000)}`, records.slice(0, 3)));
    expect(next.envelopes[0]?.registeredNumber).toBe(printed(FIRST + n));
    // A job that is not registered has no receipt list.
    const plain = await done(await post('layout=kokuho-notice&mail=household', records.slice(0, 3)));
    expect((await fetch(`${svc.base}/v1/jobs/${plain.id}/receipts.pdf`, { headers: AUTH })).status).toBe(404);
  }, 900_000);

  it('refuses registered= without mail= and numbers= without registered= or with a wrong check digit', async () => {
    const { records } = kokuhoHouseholds(2, 5);
    const answers = await Promise.all([
      post('layout=kokuho-notice&registered=kani&numbers=131-12-38385-2', records),
      post('layout=kokuho-notice&mail=household&numbers=131-12-38385-2', records),
      post('layout=kokuho-notice&mail=household&registered=kani&numbers=131-12-38385-3', records),
      post('layout=kokuho-notice&mail=household&registered=kani', records),
    ]);
    const texts = await Promise.all(answers.map((a) => a.text()));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 422]);
    expect(texts[0]).toContain('give mail= too');
    expect(texts[1]).toContain('give registered=kani|tokutei|ippan too');
    expect(texts[2]).toContain('its check digit is 2');
    expect(texts[3]).toContain('give the band the post office handed out as numbers=');
  }, 120_000);
});
