// New layouts for an insurer: `layout new` (a copy with its samples and a golden case), and a variant that
// `extend`s a base and overrides only what differs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  Engine,
  LAYOUTS_DIR,
  SAMPLE_INSURERS_DIR,
  layoutImageProblems,
  loadLayout,
  loadLayouts,
  loadSamples,
  scaffoldLayout,
} from '../engine/index.ts';
import { GOLDEN_DIR, checkGoldens, decodePng } from '../qa/index.ts';
import { pageText } from '../qa/poppler.ts';

let work: string;
let layouts: string;
let goldens: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'shikaku-variants-'));
  layouts = join(work, 'layouts');
  goldens = join(work, 'golden');
  cpSync(LAYOUTS_DIR, layouts, { recursive: true });
  mkdirSync(goldens);
  cpSync(join(GOLDEN_DIR, 'kokuho-card'), join(goldens, 'kokuho-card'), { recursive: true });
  cpSync(join(GOLDEN_DIR, 'environment.json'), join(goldens, 'environment.json'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Pixels of a PNG that are clearly blue. */
function bluePixels(png: Buffer): number {
  const img = decodePng(png);
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (img.data[i]! < 60 && img.data[i + 1]! < 60 && img.data[i + 2]! > 200) n++;
  }
  return n;
}

describe('layout variants', () => {
  it('layout new copies a layout with its samples and a golden case, and the copy passes that golden case', async () => {
    const out = execFileSync(
      'node',
      ['bin/shikaku-print.js', 'layout', 'new', 'kokuho-card-izumo', '--from', 'kokuho-card', '--layouts', layouts, '--goldens', goldens],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/made layout kokuho-card-izumo/);
    const made = loadLayout(join(layouts, 'kokuho-card-izumo'));
    expect(made.id).toBe('kokuho-card-izumo');
    expect(loadSamples(made)).toEqual(loadSamples(loadLayout(join(layouts, 'kokuho-card'))));
    expect(existsSync(join(goldens, 'kokuho-card-izumo', 'age-70-74', 'page-1.png'))).toBe(true);
    const engine = await Engine.start({ tabs: 1, layoutsDir: layouts, insurersDir: SAMPLE_INSURERS_DIR });
    try {
      const report = await checkGoldens(engine, { goldenDir: goldens, update: false, ci: true, layout: 'kokuho-card-izumo' });
      expect(report.pages.length).toBe(2);
      expect(report.pages.map((p) => p.status)).toEqual(['same', 'same']);
      expect(report.ok).toBe(true);
    } finally {
      await engine.close();
    }
    // An id taken, or a base that does not exist, is refused with the reason.
    expect(() => scaffoldLayout({ layoutsDir: layouts, goldenDir: goldens, id: 'kokuho-card-izumo', from: 'kokuho-card' })).toThrow(
      /already exists/,
    );
    expect(() => scaffoldLayout({ layoutsDir: layouts, goldenDir: goldens, id: 'x-card', from: 'no-such' })).toThrow(/no layout "no-such"/);
  }, 120_000);

  it('an extended layout that changes only a colour and the insurer name renders with both changes', async () => {
    const made = scaffoldLayout({ layoutsDir: layouts, goldenDir: goldens, id: 'kokuho-card-blue', from: 'kokuho-card', extend: true });
    const dir = made.dir;
    const json = JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8')) as Record<string, unknown>;
    expect(json.extend).toBe('kokuho-card');
    expect(Object.keys(json).sort()).toEqual(['extend', 'id', 'name', 'samples', 'styles']);
    writeFileSync(join(dir, 'style.css'), '.scheme-name, .title { color: #0000ff; }\n');
    const samples = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8')) as Record<string, unknown>[];
    samples[0] = { ...samples[0], insurerName: '松江市' };
    writeFileSync(join(dir, 'samples.json'), JSON.stringify(samples, null, 2));

    const variant = loadLayouts(layouts).get('kokuho-card-blue')!;
    expect(variant.extendsChain).toEqual(['kokuho-card']);
    expect(variant.sides.map((s) => s.id)).toEqual(['front', 'back']);
    expect(variant.styleSheets.at(-1)?.file).toBe(join(dir, 'style.css'));

    const engine = await Engine.start({ tabs: 1, layoutsDir: layouts, insurersDir: SAMPLE_INSURERS_DIR });
    try {
      const record = loadSamples(variant)[0];
      const base = await engine.renderPage('kokuho-card', [loadSamples(loadLayout(join(layouts, 'kokuho-card')))[0]], {
        page: 1,
        dpi: 150,
      });
      const blue = await engine.renderPage('kokuho-card-blue', [record], { page: 1, dpi: 150 });
      expect(bluePixels(base.png)).toBe(0);
      expect(bluePixels(blue.png)).toBeGreaterThan(200);
      const pdf = await engine.renderPdf('kokuho-card-blue', [record]);
      const file = join(work, 'blue.pdf');
      writeFileSync(file, pdf.pdf);
      expect(pageText(file, 1)).toMatch(/松江市/);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it("prints a variant's logo (layout.json images) and refuses one too coarse for its box, naming the file", async () => {
    const dir = join(layouts, 'kokuho-card-logo');
    mkdirSync(dir);
    const front = readFileSync(join(layouts, 'kokuho-card', 'front.hbs'), 'utf8');
    writeFileSync(join(dir, 'front.hbs'), `${front}\n<div class="layout-image-logo" style="position:absolute;left:40mm;top:3mm"></div>\n`);
    writeFileSync(
      join(dir, 'layout.json'),
      JSON.stringify({
        id: 'kokuho-card-logo',
        name: 'logo variant',
        extend: 'kokuho-card',
        sides: [{ id: 'front', template: 'front.hbs' }],
        images: { logo: { file: 'logo.png', widthMm: 10, heightMm: 5 } },
      }),
    );
    const blue = (w: number, h: number) =>
      sharp({ create: { width: w, height: h, channels: 3, background: '#0000ff' } })
        .png()
        .toBuffer();
    writeFileSync(join(dir, 'logo.png'), await blue(59, 30)); // about 150 dpi in its box
    const record = loadSamples(loadLayout(join(layouts, 'kokuho-card')))[0];
    const engine = await Engine.start({ tabs: 1, layoutsDir: layouts, insurersDir: SAMPLE_INSURERS_DIR });
    try {
      const layout = loadLayout(dir);
      expect(layout.files).toContain(join(dir, 'logo.png'));
      expect(await layoutImageProblems(layout)).toEqual([
        {
          file: join(dir, 'logo.png'),
          line: 1,
          column: 1,
          message: expect.stringMatching(/59×30 px: 152 dpi in its 10×5 mm box, where 300 dpi needs 117×60 px/),
        },
      ]);
      await expect(engine.renderPdf(layout, [record])).rejects.toThrow(/layout kokuho-card-logo: the image .*logo\.png is 59×30 px/);
      writeFileSync(join(dir, 'logo.png'), await blue(240, 120));
      expect(await layoutImageProblems(layout)).toEqual([]);
      const page = await engine.renderPage(layout, [record], { page: 1, dpi: 150 });
      // 10 × 5 mm of blue at 150 dpi is about 59 × 30 px
      expect(bluePixels(page.png)).toBeGreaterThan(1500);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true });
    }
  }, 120_000);

  it('refuses an extend of a layout that is not there, and one that extends itself back', () => {
    const dir = join(layouts, 'loop-a');
    mkdirSync(dir);
    writeFileSync(join(dir, 'layout.json'), JSON.stringify({ id: 'loop-a', name: 'a', extend: 'loop-b' }));
    expect(() => loadLayout(dir)).toThrow(/extends loop-b, but there is no layout/);
    mkdirSync(join(layouts, 'loop-b'));
    writeFileSync(join(layouts, 'loop-b', 'layout.json'), JSON.stringify({ id: 'loop-b', name: 'b', extend: 'loop-a' }));
    expect(() => loadLayout(dir)).toThrow(/extends it back/);
    rmSync(dir, { recursive: true });
    rmSync(join(layouts, 'loop-b'), { recursive: true });
  });
});
