// The golden check: every layout's cases match their approved images, and the check fails, showing
// where, when the output really changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, LAYOUTS_DIR, SAMPLE_INSURERS_DIR } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { checkGoldens, writeReport, GOLDEN_DIR, type Report } from '../qa/index.ts';
import { decodeBarcodesInPngs } from '../qa/poppler.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-golden-test-'));
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const failures = (r: Report) =>
  r.pages.filter((p) => p.status !== 'same').map((p) => `${p.title}: ${p.status} ${p.diffPixels} ${p.notes.join('; ')}`);

/** A copy of one golden case in a fresh golden folder, with `change` applied to its record. */
function goldenCopy(layout: string, caseId: string, change: (record: Record<string, unknown>) => void = () => undefined): string {
  const root = mkdtempSync(join(dir, 'golden-'));
  cpSync(join(GOLDEN_DIR, layout, caseId), join(root, layout, caseId), { recursive: true });
  cpSync(join(GOLDEN_DIR, 'environment.json'), join(root, 'environment.json'));
  const file = join(root, layout, caseId, 'record.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(record);
  writeFileSync(file, JSON.stringify(record));
  return root;
}

describe('golden check', () => {
  it("finds every layout's golden cases the same as approved, on the machine that made them", async () => {
    const report = await checkGoldens(engine, { goldenDir: GOLDEN_DIR, update: false, ci: true });
    await writeReport(join(dir, 'report'), report);
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.pages.length).toBeGreaterThanOrEqual(28);
    expect(report.notes.join('\n')).toMatch(/31 cases, 58 pages/);
  }, 300_000); // 30 layout cases of Chromium, poppler and pixel comparison: about 80 s alone on two cores

  it("fails on one changed character of a receipt list's manifest, on the page of that piece only", async () => {
    const root = mkdtempSync(join(dir, 'golden-'));
    cpSync(join(GOLDEN_DIR, 'receipt-list'), join(root, 'receipt-list'), { recursive: true });
    cpSync(join(GOLDEN_DIR, 'environment.json'), join(root, 'environment.json'));
    const same = await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'receipt-list' });
    expect(failures(same)).toEqual([]);
    expect(same.pages.map((p) => p.title)).toEqual(['receipt-list / kani-17 / page 1', 'receipt-list / kani-17 / page 2']);
    const file = join(root, 'receipt-list', 'kani-17', 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('加藤 千代 様', '加藤 千代子 様'));
    const changed = await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'receipt-list' });
    expect(changed.ok).toBe(false);
    expect(changed.pages.map((p) => p.status)).toEqual(['same', 'different']);
    // The 17th piece is the second row of page 2, about 35 mm down the table.
    expect(changed.pages[1]!.regionMm!.y).toBeGreaterThan(80);
    expect(changed.pages[1]!.regionMm!.y).toBeLessThan(95);
  });

  it("reads a notice's QR code from the page it compares, and none from a card", async () => {
    const notice = readFileSync(join(GOLDEN_DIR, 'kokuho-notice', 'under-70', 'page-1.png'));
    const card = readFileSync(join(GOLDEN_DIR, 'kokuho-card', 'under-70', 'page-1.png'));
    expect(await decodeBarcodesInPngs([notice, card])).toEqual([['QR-Code:https://myna.go.jp/'], []]);
  });

  it('fails on one changed digit of a record and shows the region of the 番号', async () => {
    const root = goldenCopy('kokuho-card', 'under-70', (r) => void (r.number = '0034568'));
    const report = await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'kokuho-card' });
    expect(report.ok).toBe(false);
    const [front, back] = report.pages;
    expect(front!.status).toBe('different');
    expect(front!.diffPixels).toBeGreaterThan(0);
    expect(back!.status).toBe('same');
    // The 番号 value sits at about x 45–65 mm, y 12–17 mm on the card.
    expect(front!.regionMm!.x).toBeGreaterThan(40);
    expect(front!.regionMm!.x + front!.regionMm!.width).toBeLessThan(70);
    expect(front!.regionMm!.y).toBeGreaterThan(11);
    expect(front!.regionMm!.y + front!.regionMm!.height).toBeLessThan(18);
    const index = readFileSync(await writeReport(join(root, 'report'), report), 'utf8');
    expect(index).toMatch(/kokuho-card \/ under-70<\/a><\/td><td class="status">changed/);
    const page = readFileSync(join(root, 'report', 'records', '000001.html'), 'utf8');
    expect(page).toContain('kokuho-card / under-70 / page 1: different');
    for (const kind of ['old', 'new', 'diff']) expect(page).toContain(`src="../img/c1-1-${kind}.png"`);
    expect(
      readFileSync(join(root, 'report', 'img', 'c1-1-old.png')).equals(readFileSync(join(root, 'kokuho-card', 'under-70', 'page-1.png'))),
    ).toBe(true);
    const json = JSON.parse(readFileSync(join(root, 'report', 'report.json'), 'utf8')) as { summary: Record<string, number> };
    expect(json.summary).toEqual({ same: 0, changed: 1, added: 0, removed: 0 });
  });

  it("fails when a layout's CSS moves text by 0.05 mm", async () => {
    const layouts = mkdtempSync(join(dir, 'layouts-'));
    cpSync(LAYOUTS_DIR, layouts, { recursive: true });
    const css = join(layouts, '_shared', 'card.css');
    const before = readFileSync(css, 'utf8');
    const after = before.replace('.side-front { padding: 3mm 3mm 2mm 3mm; }', '.side-front { padding: 3.05mm 3mm 2mm 3mm; }');
    expect(after).not.toBe(before);
    writeFileSync(css, after);
    const moved = await Engine.start({ layoutsDir: layouts, tabs: 1, insurersDir: SAMPLE_INSURERS_DIR });
    try {
      const report = await checkGoldens(moved, {
        goldenDir: goldenCopy('kokuho-card', 'under-70'),
        update: false,
        ci: true,
        layout: 'kokuho-card',
      });
      expect(report.ok).toBe(false);
      expect(report.pages[0]!.status).toBe('different');
      expect(report.pages[0]!.diffPixels).toBeGreaterThan(100);
      expect(report.pages[1]!.status).toBe('same');
    } finally {
      await moved.close();
    }
  });

  it('under CI treats a missing golden as a failure and writes nothing', async () => {
    const root = goldenCopy('kouki-card', 'rate-1');
    rmSync(join(root, 'kouki-card', 'rate-1', 'page-2.png'));
    const report = await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'kouki-card' });
    expect(report.ok).toBe(false);
    expect(report.pages[1]).toMatchObject({ status: 'missing' });
    expect(existsSync(join(root, 'kouki-card', 'rate-1', 'page-2.png'))).toBe(false);
    await expect(checkGoldens(engine, { goldenDir: root, update: 'changed', ci: true })).rejects.toThrow(
      /refusing to update goldens under CI/,
    );
  });

  it('says plainly when it runs in another environment than the goldens were made in', async () => {
    const root = goldenCopy('kouki-card', 'rate-1');
    const envFile = join(root, 'environment.json');
    writeFileSync(envFile, JSON.stringify({ ...JSON.parse(readFileSync(envFile, 'utf8')), chromium: 'Chrome/1.0' }));
    const report = await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'kouki-card' });
    expect(report.notes.join('\n')).toMatch(/Different environment: goldens were made with Chrome\/1\.0, this machine runs Chrome\//);
  });

  it('rewrites goldens only with update, outside CI, as --update=missing|changed|all says, and reports old, new and difference', async () => {
    const root = goldenCopy('kenpo-card', 'honnin', (r) => void (r.number = '46'));
    const file = join(root, 'kenpo-card', 'honnin', 'page-1.png');
    const back = join(root, 'kenpo-card', 'honnin', 'page-2.png');
    const old = readFileSync(file);
    // missing: only pages without a golden are written; the changed front is not.
    const missing = await checkGoldens(engine, { goldenDir: root, update: 'missing', ci: false, layout: 'kenpo-card' });
    expect(missing.pages.map((p) => p.status)).toEqual(['different', 'same']);
    expect(readFileSync(file).equals(old)).toBe(true);
    // changed: the changed front is written, the back that is the same is left alone.
    const backTime = statSync(back).mtimeMs;
    const changed = await checkGoldens(engine, { goldenDir: root, update: 'changed', ci: false, layout: 'kenpo-card' });
    expect(changed.pages.map((p) => [p.status, p.previous])).toEqual([
      ['written', 'different'],
      ['same', 'same'],
    ]);
    expect(readFileSync(file).equals(old)).toBe(false);
    expect(statSync(back).mtimeMs).toBe(backTime);
    // The report of the update shows the old golden, the new one and their difference.
    await writeReport(join(root, 'report'), changed);
    const json = JSON.parse(readFileSync(join(root, 'report', 'report.json'), 'utf8')) as {
      records: { status: string; updated?: boolean }[];
    };
    expect(json.records).toEqual([expect.objectContaining({ status: 'changed', updated: true })]);
    expect(readFileSync(join(root, 'report', 'img', 'c1-1-old.png')).equals(old)).toBe(true);
    expect(readFileSync(join(root, 'report', 'img', 'c1-1-new.png')).equals(readFileSync(file))).toBe(true);
    expect(existsSync(join(root, 'report', 'img', 'c1-1-diff.png'))).toBe(true);
    // all: every page is written again.
    const all = await checkGoldens(engine, { goldenDir: root, update: 'all', ci: false, layout: 'kenpo-card' });
    expect(all.pages.map((p) => p.status)).toEqual(['written', 'written']);
    expect((await checkGoldens(engine, { goldenDir: root, update: false, ci: true, layout: 'kenpo-card' })).ok).toBe(true);
    // A page with no golden is added, and written by missing.
    rmSync(back);
    const added = await checkGoldens(engine, { goldenDir: root, update: 'missing', ci: false, layout: 'kenpo-card' });
    expect(added.pages.map((p) => [p.status, p.previous])).toEqual([
      ['same', 'same'],
      ['written', 'missing'],
    ]);
    await writeReport(join(root, 'report-added'), added);
    const addedJson = JSON.parse(readFileSync(join(root, 'report-added', 'report.json'), 'utf8')) as { summary: Record<string, number> };
    expect(addedJson.summary).toEqual({ same: 0, changed: 0, added: 1, removed: 0 });
  });
});
