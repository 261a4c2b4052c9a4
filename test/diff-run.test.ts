// The proof diff at the scale of a run: 2,000 cards against the same run with one record inserted, one
// removed and one name changed; then the report in Chromium, as a QA reviewer works through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chromiumPath } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-diff-run-'));
const report = join(dir, 'report');
let diff: { code: number; stdout: string; stderr: string };
let original: Record<string, string>[];

beforeAll(async () => {
  const samples = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, string>[];
  original = Array.from({ length: 2000 }, (_, i) => ({ ...samples[i % samples.length]!, number: String(i).padStart(7, '0') }));
  const candidate = original.map((r, i) => (i === 1200 ? { ...r, name: '岡本 三四郎' } : r));
  candidate.splice(1600, 1); // record 1601 removed
  candidate.splice(499, 0, { ...samples[0]!, number: '9999999', name: '新井 一' }); // a new record at the 500th place
  writeFileSync(join(dir, 'a.json'), JSON.stringify(original));
  writeFileSync(join(dir, 'b.json'), JSON.stringify(candidate));
  for (const name of ['a', 'b']) {
    const r = await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      join(dir, `${name}.json`),
      '--out',
      join(dir, `${name}.pdf`),
      '--quiet',
    );
    expect(r.code, r.stderr).toBe(0);
  }
  // One rasterizer at a time: the suite runs two test files at once on two cores.
  diff = await runMain('diff', join(dir, 'a.pdf'), join(dir, 'b.pdf'), '--report', report, '--jobs', '1', '--quiet');
  // Two renders of 2,000 cards and a diff of 8,000 pages: about 2 minutes on a quiet 2-core machine beside another
  // test file, over 5 with one core kept busy (npm run test:busy). The bound is a safety net, 5x the quiet time.
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec {
  key: string;
  status: string;
  reference?: { record: number; pages: number[] };
  candidate?: { record: number; pages: number[] };
  changes: { page: number; field?: string; before?: string; after?: string; boxMm: number[] }[];
}

describe('diff of a 2,000-card run, record by record', () => {
  it('says 1 added, 1 removed, 1 changed with field 氏名 and the two names, the rest same (exit 1)', () => {
    expect(diff.code, diff.stderr).toBe(1);
    const json = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as {
      aligned: string;
      summary: Record<string, number>;
      records: Rec[];
    };
    expect(json.aligned).toBe('record');
    expect(json.summary).toEqual({ same: 1998, changed: 1, added: 1, removed: 1 });
    expect(json.records).toHaveLength(2001);
    const by = (status: string) => json.records.filter((r) => r.status === status);
    expect(by('added')).toEqual([
      expect.objectContaining({ key: '320036-出雲12-9999999-01', candidate: { record: 500, pages: [999, 1000] } }),
    ]);
    expect(by('removed')).toEqual([
      expect.objectContaining({ key: expect.stringMatching(/-0001600-/), reference: { record: 1601, pages: [3201, 3202] } }),
    ]);
    const [changed] = by('changed');
    expect(changed).toMatchObject({ reference: { record: 1201 }, candidate: { record: 1202 } });
    expect(changed!.changes.map((c) => c.field)).toEqual(['氏名']);
    expect(changed!.changes[0]).toMatchObject({ page: 2403, before: original[1200]!.name, after: '岡本 三四郎' });
    // In report order: the added record where it was inserted, the removed one where it was.
    expect(json.records[499]!.status).toBe('added');
    expect(json.records[1601]!.status).toBe('removed');
  });
});

describe('the report in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`file://${report}/`)) problems.push(`request outside the report: ${r.url()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const current = () => page.evaluate(() => location.pathname.split('/').slice(-2).join('/'));
  const press = async (key: Parameters<Page['keyboard']['press']>[0]) => {
    await page.keyboard.press(key);
    await new Promise((r) => setTimeout(r, 100));
  };

  it('opens with no console error and no request outside the report folder, and works with the keyboard', async () => {
    await page.goto(`file://${report}/index.html`, { waitUntil: 'load' });
    expect(await page.$$eval('tr.entry', (rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual([
      'added',
      'changed',
      'removed',
    ]);
    expect(await page.$eval('.summary', (e) => e.textContent)).toContain('1998 same · 1 changed · 1 added · 1 removed');
    // Thumbnails are there and loaded.
    expect(await page.$$eval('td.thumb img', (imgs) => imgs.map((i) => i.naturalWidth))).toEqual([320, 320, 320]);
    // Filter by status: the added record hidden, and j moves over the rows still shown.
    await page.click('.filters input[name=added]');
    expect(await page.$$eval('tr.entry.hidden', (rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(['added']);
    await press('j');
    expect(await page.$eval('tr.current', (r) => r.getAttribute('data-status'))).toBe('changed');
    await press('Enter');
    await page.waitForSelector('.view');
    expect(await current()).toBe('records/000002.html');
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('record 1202 (reference record 1201): changed');
    expect(await page.$eval('table.changes', (t) => t.textContent)).toContain('岡本 三四郎');
    // The views: 2 slider, 3 blend, 4 flicker, 5 difference, 1 side by side.
    const mode = () => page.$eval('.view', (v) => Array.from(v.classList).find((c) => c.startsWith('mode-')));
    for (const [key, want] of [
      ['2', 'mode-slider'],
      ['3', 'mode-blend'],
      ['4', 'mode-flicker'],
      ['5', 'mode-diff'],
      ['1', 'mode-side'],
    ] as const) {
      await press(key);
      expect(await mode(), key).toBe(want);
    }
    await press('2');
    await press(']');
    expect(await page.$eval('.view .cand', (c) => (c as HTMLElement).style.clipPath)).toBe('inset(0px 0px 0px 60%)');
    // z zooms to the changed region: the stage is four times as wide and the frame scrolled to it.
    await press('z');
    expect(await page.$eval('.view .stage', (s) => (s as HTMLElement).style.width)).toBe('400%');
    expect(await page.$eval('.view .frame', (f) => f.scrollLeft)).toBeGreaterThan(0);
    expect(await page.$$eval('.box.focus', (b) => b.length)).toBeGreaterThan(0);
    await press('0');
    expect(await page.$eval('.view .stage', (s) => (s as HTMLElement).style.width)).toBe('');
    // → next record, ← back, Esc the list.
    await Promise.all([page.waitForNavigation(), press('ArrowRight')]);
    expect(await current()).toBe('records/000003.html');
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('removed');
    await Promise.all([page.waitForNavigation(), press('ArrowLeft')]);
    expect(await current()).toBe('records/000002.html');
    await Promise.all([page.waitForNavigation(), press('Escape')]);
    expect(await current()).toMatch(/index\.html$/);
    expect(problems).toEqual([]);
  }, 60_000);
});
