// The designer studio driven in a real browser (puppeteer-core with the system Chromium), as a designer
// uses it: pick a layout and a sample, see the engine's own page, edit the CSS and see it change without
// reloading, break a template and see where, mend it, and read the fitting overlay of the long name.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { Engine, LAYOUTS_DIR, SAMPLE_INSURERS_DIR, chromiumPath, loadLayout, loadSamples } from '../engine/index.ts';
import { GOLDEN_DIR, compareImages, decodePng } from '../qa/index.ts';
import { startStudio, type Studio } from '../studio/studio.ts';

let engine: Engine;
let studio: Studio;
let browser: Browser;
let page: Page;
let work: string;
let layouts: string;
let insurers: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'shikaku-studio-'));
  layouts = join(work, 'layouts');
  cpSync(LAYOUTS_DIR, layouts, { recursive: true });
  insurers = join(work, 'insurers');
  cpSync(SAMPLE_INSURERS_DIR, insurers, { recursive: true });
  engine = await Engine.start({ tabs: 1, insurersDir: insurers });
  studio = await startStudio({ port: 0, layoutsDir: layouts, goldenDir: GOLDEN_DIR, engine });
  browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--force-device-scale-factor=1'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 950, deviceScaleFactor: 1 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await studio?.close();
  await engine?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The data URL of the preview image of `n`th page shown, once one is there and not dimmed. */
async function previewSrc(p: Page, n = 0): Promise<string> {
  await p.waitForFunction(
    (i: number) => {
      const sheets = document.querySelectorAll('.sheet-view');
      const sheet = sheets[i];
      const img = sheet?.querySelector('img.proof');
      return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0 && !sheet?.classList.contains('stale');
    },
    { timeout: 20_000 },
    n,
  );
  return p.$$eval('img.proof', (imgs, i) => (imgs[i] as HTMLImageElement).src, n);
}

const pngOf = (dataUrl: string) => Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');

/** The dpi the page asked for (the studio picks it from the zoom). */
const shownDpi = (p: Page) => p.$eval('#status', (el) => Number(/(\d+) dpi/.exec(el.textContent ?? '')?.[1] ?? 0));

async function choose(p: Page, layout: string, record: string): Promise<void> {
  await p.select('#layout', layout);
  await p.waitForFunction(
    (r: string) => Array.from(document.querySelectorAll('#record option')).some((o) => (o as HTMLOptionElement).value === r),
    {},
    record,
  );
  await p.select('#record', record);
  // A safety net, not a measure (bench --studio measures): a preview takes 1-4 s here, and CI's busy machine
  // once took more than 20 s for the first.
  await p.waitForFunction((want: string) => document.body.dataset.shown?.startsWith(want), { timeout: 50_000 }, `${layout} ${record} `);
}

describe('the studio in a browser', () => {
  it('shows page 1 of a sample as exactly the pixels of the engine PNG of that page', async () => {
    await page.goto(studio.url);
    await choose(page, 'kokuho-card', 'sample:1');
    const src = await previewSrc(page);
    const dpi = await shownDpi(page);
    expect(dpi).toBeGreaterThanOrEqual(150);
    const layout = loadLayout(join(LAYOUTS_DIR, 'kokuho-card'));
    const sample = loadSamples(layout)[1];
    const expected = await engine.renderPage('kokuho-card', [sample], { page: 1, dpi });
    const cmp = compareImages(decodePng(expected.png), decodePng(pngOf(src)));
    expect(cmp.sizeMismatch ?? false).toBe(false);
    expect(cmp.diffPixels).toBe(0);
  }, 120_000);

  // How fast is the bench's business (bench --studio: save-to-picture median, p90, max), not a test's: on a
  // busy machine any time limit here fails for no fault of the studio.
  it('re-renders by itself after a saved CSS change, without reloading the page', async () => {
    await page.goto(studio.url);
    await choose(page, 'kokuho-card', 'sample:0');
    const before = await previewSrc(page);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const css = join(layouts, 'kokuho-card', 'style.css');
    const original = readFileSync(css, 'utf8');
    writeFileSync(css, `${original}\n.head { background: #ffe08a; }\n`);
    onTestFinished(() => writeFileSync(css, original));
    // Fails when the new picture never comes (nothing but the save can bring one: the page asks for no other).
    await page.waitForFunction(
      (old: string) => {
        const img = document.querySelector('img.proof');
        return img instanceof HTMLImageElement && img.src !== old && img.complete;
      },
      { timeout: 45_000 },
      before,
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    // and the picture it shows is the one the studio printed on the save, before the page asked for it
    expect(await page.$eval('#status', (el) => el.textContent)).toMatch(/saved kokuho-card\/style\.css: rendered in \d+ ms \(when saved;/);
    // The change is in the picture: the header band is now yellow.
    const after = decodePng(pngOf(await previewSrc(page)));
    const old = decodePng(pngOf(before));
    expect(compareImages(old, after).diffPixels).toBeGreaterThan(1000);
  }, 60_000);

  it('shows a broken template with its file and line, keeps the last preview dimmed, and comes back when mended', async () => {
    await page.goto(studio.url);
    await choose(page, 'kokuho-card', 'sample:0');
    const good = await previewSrc(page);
    const front = join(layouts, 'kokuho-card', 'front.hbs');
    const source = readFileSync(front, 'utf8');
    const lines = source.split('\n');
    lines.splice(4, 0, '    <div>{{#if name}}x{{/unless}}</div>'); // line 5: a block closed by another name
    writeFileSync(front, lines.join('\n'));
    try {
      await page.waitForFunction(() => !(document.getElementById('problems') as HTMLElement).hidden, { timeout: 5_000 });
      const problem = await page.$eval('#problem-list', (el) => el.textContent ?? '');
      expect(problem).toMatch(/^kokuho-card\/front\.hbs:5:\d+/);
      expect(problem).toMatch(/if doesn't match unless/);
      expect(await page.$('.sheet-view.stale img.proof')).not.toBeNull(); // the last good picture, dimmed
    } finally {
      writeFileSync(front, source);
    }
    await page.waitForFunction(() => (document.getElementById('problems') as HTMLElement).hidden, { timeout: 5_000 });
    expect(await previewSrc(page)).toBe(good);
  }, 60_000);

  it('names the fitted name field in the fitting overlay of the long-name golden record', async () => {
    await page.goto(studio.url);
    await choose(page, 'kokuho-card', 'golden:long-name-fitted');
    await previewSrc(page);
    await page.click('#show-fitting');
    await page.waitForSelector('svg.overlay rect[data-field="name"]');
    const listed = await page.$eval('#fitting-list', (el) => el.textContent ?? '');
    expect(listed).toMatch(/氏名 \(name\): condensed to \d+ %/);
    expect(await page.$eval('svg.overlay', (el) => el.textContent ?? '')).toMatch(/氏名 \(name\)/);
    // The golden overlay: the approved image beside the preview, and no pixel differs.
    await page.select('#golden-mode', 'difference');
    await page.waitForFunction(() => document.getElementById('golden-count')?.dataset.count !== undefined, { timeout: 20_000 });
    expect(await page.$eval('#golden-count', (el) => el.textContent)).toBe('0 px differ');
    if (process.env.SHIKAKU_DOCS_IMAGES === '1') {
      await page.select('#golden-mode', 'off');
      await page.click('#show-grid');
      await previewSrc(page);
      await page.screenshot({ path: resolve('docs/studio.png') });
    }
  }, 60_000);
});

describe('the studio API', () => {
  it('GET /api/preview answers the engine PNG of a sample page; POST names the fields of an invalid record', async () => {
    const res = await fetch(`${studio.url}api/preview?layout=kokuho-card&sample=0&page=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const sample = loadSamples(loadLayout(join(LAYOUTS_DIR, 'kokuho-card')))[0] as Record<string, unknown>;
    const expected = await engine.renderPage('kokuho-card', [sample], { page: 2, dpi: 150 });
    expect(compareImages(decodePng(expected.png), decodePng(Buffer.from(await res.arrayBuffer()))).diffPixels).toBe(0);

    const post = (record: Record<string, unknown>) =>
      fetch(`${studio.url}api/preview?layout=kokuho-card&page=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(record),
      });
    const bad = await post({ ...sample, birthDate: '1954-02-30', branch: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const body = (await bad.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual(['birthDate', 'branch']);
    // A character no pinned font has is named with its code point.
    const glyph = (await (await post({ ...sample, name: '山田😀' })).json()) as { errors: { path: string; message: string }[] };
    expect(glyph.errors).toEqual([
      { path: 'name', label: '氏名', message: expect.stringMatching(/"😀" \(U\+1F600\) is in none of the pinned fonts/) },
    ]);
  }, 60_000);

  it('answers a record with an impossible date 422 problem+json, as the service does, naming the field', async () => {
    const sample = loadSamples(loadLayout(join(LAYOUTS_DIR, 'kokuho-card')))[0] as Record<string, unknown>;
    const res = await fetch(`${studio.url}api/preview?layout=kokuho-card&page=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...sample, birthDate: '1954-02-30' }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { status: number; errors: unknown[] };
    expect(body.status).toBe(422);
    expect(body.errors).toEqual([{ path: 'birthDate', label: '生年月日', message: expect.stringContaining('1954-02-30') }]);
  }, 60_000);

  it("serves the page's script modules as JavaScript, which a browser requires of a module", async () => {
    const page = await (await fetch(studio.url)).text();
    const entry = /<script type="module" src="([^"]+)"/.exec(page)?.[1];
    expect(entry).toBeDefined();
    const res = await fetch(new URL(entry!, studio.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const [, module] of (await res.text()).matchAll(/from '(\.\/[^']+)'/g)) {
      const imported = await fetch(new URL(module!, new URL(entry!, studio.url)));
      expect([module, imported.status, imported.headers.get('content-type')]).toEqual([
        module,
        200,
        expect.stringMatching(/^text\/javascript/),
      ]);
    }
  });

  it('shows and edits the insurer profile a preview uses; a profile that does not load is refused and not kept', async () => {
    const url = `${studio.url}api/insurers/320036`;
    const shown = (await (await fetch(url)).json()) as { file: string; profile: Record<string, unknown> };
    expect(shown.file).toBe('insurers/320036.json'); // the folder's own name: the studio shows no absolute path
    expect(shown.profile.name).toBe('出雲市');
    const sample = loadSamples(loadLayout(join(LAYOUTS_DIR, 'kokuho-card')))[0] as Record<string, unknown>;
    const { insurerName: _fromProfile, ...record } = sample;
    const preview = async () =>
      Buffer.from(
        await (
          await fetch(`${studio.url}api/preview?layout=kokuho-card&page=1`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(record),
          })
        ).arrayBuffer(),
      );
    const before = await preview();
    const put = (profile: unknown) =>
      fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(profile) });
    const refused = await put({ ...shown.profile, name: '' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { title: string }).title).toMatch(/insurer profile .*320036\.json: name/);
    expect(JSON.parse(readFileSync(join(insurers, '320036.json'), 'utf8'))).toEqual(shown.profile);
    expect((await put({ ...shown.profile, name: '出雲市役所' })).status).toBe(200);
    const after = await preview();
    expect(compareImages(decodePng(before), decodePng(after)).diffPixels).toBeGreaterThan(100);
    expect((await put(shown.profile)).status).toBe(200);
    expect(compareImages(decodePng(before), decodePng(await preview())).diffPixels).toBe(0);
  }, 60_000);

  it('GET /api/problems is empty for a good layout and names file, line and column of a CSS error', async () => {
    const ok = (await (await fetch(`${studio.url}api/problems?layout=kouki-card`)).json()) as { problems: unknown[] };
    expect(ok.problems).toEqual([]);
    const css = join(layouts, 'kouki-card', 'style.css');
    const source = readFileSync(css, 'utf8');
    writeFileSync(css, `${source}\n.broken { color: red;\n`);
    try {
      studio.workspace.reload();
      const bad = (await (await fetch(`${studio.url}api/problems?layout=kouki-card`)).json()) as {
        problems: { file: string; line: number; column: number; message: string }[];
      };
      expect(bad.problems).toEqual([
        { file: 'kouki-card/style.css', line: source.split('\n').length + 1, column: 1, message: expect.stringMatching(/Unclosed block/) },
      ]);
    } finally {
      writeFileSync(css, source);
      studio.workspace.reload();
    }
    // A layout.json that does not parse: the layout is listed as broken, with where its JSON went wrong.
    const json = join(layouts, 'kouki-card', 'layout.json');
    const description = readFileSync(json, 'utf8');
    writeFileSync(json, description.replace('"scheme"', '"scheme" "oops"'));
    try {
      studio.workspace.reload();
      const listed = (await (await fetch(`${studio.url}api/layouts`)).json()) as { layouts: { id: string }[]; broken: { id: string }[] };
      expect(listed.layouts.map((l) => l.id)).not.toContain('kouki-card');
      expect(listed.broken.map((b) => b.id)).toEqual(['kouki-card']);
      const broken = (await (await fetch(`${studio.url}api/problems?layout=kouki-card`)).json()) as {
        problems: { file: string; line: number; column: number; message: string }[];
      };
      const line = description.split('\n').findIndex((l) => l.includes('"scheme"')) + 1;
      expect(broken.problems).toEqual([
        {
          file: 'kouki-card/layout.json',
          line,
          column: expect.any(Number),
          message: expect.stringMatching(/cannot read layout description/),
        },
      ]);
      expect((await fetch(`${studio.url}api/preview?layout=kouki-card&sample=0&page=1`)).status).toBe(422);
    } finally {
      writeFileSync(json, description);
      studio.workspace.reload();
    }
  }, 60_000);

  it('GET /api/events sends one change event after a saved file re-rendered', async () => {
    const controller = new AbortController();
    const res = await fetch(`${studio.url}api/events`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const events: string[] = [];
    const reading = (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += new TextDecoder().decode(value);
        for (const block of text.split('\n\n').slice(0, -1)) events.push(block);
        text = text.split('\n\n').at(-1) ?? '';
      }
    })();
    const partial = join(layouts, '_shared', 'card-back.hbs');
    const source = readFileSync(partial, 'utf8');
    try {
      writeFileSync(partial, `${source}\n`);
      const end = Date.now() + 5_000;
      while (!events.some((e) => e.startsWith('event: change') && e.includes('card-back')) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      const change = events.find((e) => e.startsWith('event: change') && e.includes('card-back'));
      expect(change).toBeDefined();
      const data = JSON.parse(change!.split('\ndata: ')[1]!) as { files: string[]; layouts: string[] };
      expect(data.files).toContain('_shared/card-back.hbs');
      // the shared back is part of every card layout
      expect(data.layouts).toEqual(expect.arrayContaining(['kokuho-card', 'kouki-card', 'kenpo-card']));
    } finally {
      writeFileSync(partial, source);
      controller.abort();
      await reading;
    }
  }, 30_000);
});
