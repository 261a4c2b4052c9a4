// Production output: bleed, imposed press sheets with marks, slug and mirrored backs, cut-stack order,
// press colour. Measured from the files: pdfinfo's boxes, the manifests, Ghostscript's ink coverage,
// pdffonts, zbarimg, the pixels of the sheets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backSlot, loadLayouts, getLayout, loadSamples, parseSheet, planSheet, type Manifest } from '../engine/index.ts';
import { sheetsOf } from '../engine/output/sheet-plan.ts';
import { runMain } from './helpers/main-in-process.ts';
import { AUTH, startTestService, waitForJob } from './helpers/service.ts';
import { configFromEnv } from '../server/index.ts';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream } from 'pdf-lib';
import { darkPixels, fonts, greyPage, pageBoxes } from './helpers/poppler.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-production-'));
const layouts = loadLayouts();
const card = getLayout(layouts, 'kokuho-card');
const ID1 = { widthMm: 85.6, heightMm: 53.98 };
const pt = (mm: number) => (mm / 25.4) * 72;

/** 19 kokuho cards: 2 full A4 sheets and one with 3 of its 8 slots filled. */
const records = Array.from({ length: 19 }, (_, i) => ({
  ...(loadSamples(card)[i % 3] as Record<string, unknown>),
  number: String(1000000 + i),
}));
const data = join(dir, 'cards.json');
writeFileSync(data, JSON.stringify(records));

async function render(out: string, ...options: string[]): Promise<Manifest> {
  const r = await runMain('render', '--layout', 'kokuho-card', '--data', data, '--out', join(dir, out), '--quiet', ...options);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(join(dir, `${out}.manifest.json`), 'utf8')) as Manifest;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sheet plans', () => {
  it('fit 8 ID-1 cards on A4, 21 on SRA3, 18 on A3, with 3 mm bleed, marks and slug; an A4 notice 1-up on A3', () => {
    expect(planSheet(parseSheet('a4'), ID1).perSheet).toBe(8);
    expect(planSheet(parseSheet('sra3'), ID1).perSheet).toBe(21);
    expect(planSheet(parseSheet('a3'), ID1).perSheet).toBe(18);
    expect(planSheet(parseSheet('a3'), { widthMm: 210, heightMm: 297 }).perSheet).toBe(1);
    expect(() => planSheet(parseSheet('a4'), { widthMm: 210, heightMm: 297 })).toThrow(/does not fit/);
    // a custom sheet where turning the card fits more
    const turned = planSheet(parseSheet('200x150'), ID1);
    expect([turned.rotated, turned.perSheet]).toEqual([true, 3]);
    expect(() => parseSheet('a5')).toThrow(/a4, a3, sra3, sra4 or WxH/);
  });

  it('keep every page and its bleed inside the sheet and apart from each other', () => {
    for (const name of ['a4', 'a3', 'sra3', '330x488']) {
      const plan = planSheet(parseSheet(name), ID1);
      for (const s of plan.slots) {
        expect(s.x - plan.bleedMm).toBeGreaterThanOrEqual(plan.grid.x - 1e-9);
        expect(s.y + s.height + plan.bleedMm).toBeLessThanOrEqual(plan.grid.y + plan.grid.height + 1e-9);
      }
      expect(plan.grid.x).toBeGreaterThan(8); // room for the 8 mm marks
      expect(plan.sheet.heightMm - plan.grid.y - plan.grid.height).toBeGreaterThan(17); // marks and slug
    }
  });

  it('in cut-stack order put the records in input order when the cut piles are stacked slot after slot', () => {
    const sheets = sheetsOf(19, 8, 'cut-stack');
    const piles = Array.from({ length: 8 }, (_, slot) => sheets.map((s) => s[slot] as number).filter((i) => i >= 0));
    expect(piles.flat()).toEqual(Array.from({ length: 19 }, (_, i) => i));
    expect(sheetsOf(19, 8, 'sequential')[2]).toEqual([16, 17, 18, -1, -1, -1, -1, -1]);
  });
});

describe('--bleed', () => {
  it('makes each page the trim plus 3 mm all round: MediaBox = BleedBox = 91.60 × 59.98 mm, TrimBox the exact ID-1 centred', async () => {
    await render('bleed.pdf', '--bleed');
    const boxes = pageBoxes(join(dir, 'bleed.pdf'));
    expect(boxes).toHaveLength(38);
    for (const b of boxes) {
      expect(b.media.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '259.65', '170.02']);
      expect(b.bleed.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '259.65', '170.02']);
      expect(b.trim.map((v) => v.toFixed(2))).toEqual([pt(3), pt(3), pt(3 + 85.6), pt(3 + 53.98)].map((v) => v.toFixed(2)));
    }
  });
});

describe('--impose', () => {
  let a4: Manifest;
  beforeAll(async () => {
    a4 = await render('a4.pdf', '--impose', 'a4');
  });

  it('prints 8-up A4 sheets of exactly 595.28 × 841.89 pt, fronts and backs alternating, the last sheet part-filled', () => {
    const boxes = pageBoxes(join(dir, 'a4.pdf'));
    expect(boxes).toHaveLength(6);
    for (const b of boxes) expect(b.media.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '595.28', '841.89']);
    expect(a4.pageCount).toBe(6);
    expect(a4.records).toHaveLength(19);
    expect(a4.records[18]?.placements?.map((p) => [p.sheet, p.side, p.slot])).toEqual([
      [3, 'front', 3],
      [3, 'back', 3],
    ]);
    expect(a4.records[18]?.pages).toEqual([5, 6]);
  });

  it('places every back exactly behind its front for a long-edge flip, and for a short-edge one (from the manifests, ±0.01 mm)', async () => {
    const short = await render('a4-short.pdf', '--impose', 'a4', '--duplex', 'short');
    for (const [manifest, flip] of [
      [a4, 'long'],
      [short, 'short'],
    ] as const) {
      for (const r of manifest.records) {
        const front = r.placements?.find((p) => p.side === 'front');
        const back = r.placements?.find((p) => p.side === 'back');
        expect(front && back).toBeTruthy();
        const [x, y, w, h] = front!.trimMm;
        const mirrored = flip === 'long' ? [210 - x - w, y, w, h] : [x, 297 - y - h, w, h];
        back!.trimMm.forEach((v, i) => expect(Math.abs(v - (mirrored[i] as number))).toBeLessThanOrEqual(0.01));
        expect(back!.slot).toBe(front!.slot);
        expect(back!.sheet).toBe(front!.sheet);
      }
    }
    const plan = planSheet(parseSheet('a4'), ID1);
    expect(backSlot(plan, 0, 'long').x).toBeCloseTo(210 - plan.slots[0]!.x - 85.6, 6);
  });

  it('in cut-stack order fills slot 1 of every sheet first', async () => {
    const stacked = await render('a4-stack.pdf', '--impose', 'a4', '--order', 'cut-stack');
    const front = (r: number) => stacked.records[r - 1]?.placements?.find((p) => p.side === 'front');
    expect([1, 2, 3, 4].map((r) => [front(r)?.sheet, front(r)?.slot])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [1, 2],
    ]);
  });

  it('draws its marks and slug only outside the grid of pages: the gutters between cards stay blank', () => {
    const plan = planSheet(parseSheet('a4'), ID1);
    const img = greyPage(join(dir, 'a4.pdf'), 1, 100);
    const px = (mm: number) => Math.round((mm / 25.4) * 100);
    // the gutter between the two columns, inside the grid, holds nothing: no mark crosses into the grid
    const gutter = { x: plan.slots[0]!.x + 85.6 + 0.3, w: 6 - 0.6 };
    expect(darkPixels(img, px(gutter.x), px(plan.grid.y), px(gutter.w), px(plan.grid.height))).toBe(0);
    // the margins do hold the marks, the corners' double lines among them
    expect(darkPixels(img, 0, 0, px(plan.grid.x), px(plan.grid.y))).toBeGreaterThan(20);
  });

  it('names each sheet in its slug and a Code 128 barcode of its number that zbarimg reads', () => {
    const dpi = '300';
    const png = join(dir, 'sheet2');
    execFileSync('pdftoppm', ['-f', '3', '-l', '3', '-r', dpi, '-gray', '-png', '-singlefile', join(dir, 'a4.pdf'), png]);
    const codes = execFileSync('zbarimg', ['-q', `${png}.png`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(codes).toEqual(['CODE-128:S000002']);
  });

  it('puts an A4 notice 1-up on A3 with its marks', async () => {
    const notice = getLayout(layouts, 'kokuho-notice');
    const file = join(dir, 'notices.json');
    writeFileSync(file, JSON.stringify(loadSamples(notice)));
    const r = await runMain(
      'render',
      '--layout',
      'kokuho-notice',
      '--data',
      file,
      '--out',
      join(dir, 'notice-a3.pdf'),
      '--impose',
      'a3',
      '--quiet',
    );
    expect(r.code).toBe(0);
    const boxes = pageBoxes(join(dir, 'notice-a3.pdf'));
    expect(boxes).toHaveLength(loadSamples(notice).length);
    for (const b of boxes) expect(b.media.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '841.89', '1190.55']);
  });
});

describe('--color press', () => {
  let officePdf: string;
  let pressPdf: string;
  const bare = join(dir, 'no-profiles');
  beforeAll(async () => {
    // no insurer profiles, so no seal: the cards are black text and grey rules only
    execFileSync('mkdir', ['-p', bare]);
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify(records.slice(0, 2)));
    for (const [out, extra] of [
      ['office.pdf', []],
      ['press.pdf', ['--color', 'press']],
    ] as const) {
      const r = await runMain(
        'render',
        '--layout',
        'kokuho-card',
        '--data',
        one,
        '--out',
        join(dir, out),
        '--insurers',
        bare,
        '--quiet',
        ...extra,
      );
      expect(r.code).toBe(0);
    }
    officePdf = join(dir, 'office.pdf');
    pressPdf = join(dir, 'press.pdf');
  });

  const inkcov = (pdf: string) =>
    execFileSync('gs', ['-q', '-o', '-', '-sDEVICE=inkcov', pdf], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).slice(0, 4).map(Number));

  it('prints black text and grey rules in K only: C = M = Y = 0 on the fronts and the backs', () => {
    const pages = inkcov(pressPdf);
    expect(pages).toHaveLength(4);
    for (const [c, m, y, k] of pages) {
      expect([c, m, y]).toEqual([0, 0, 0]);
      expect(k).toBeGreaterThan(0.05);
    }
    // the office file's black is RGB: rich black on all four plates, which is why the press step exists
    expect(inkcov(officePdf)[0]?.[0]).toBeGreaterThan(0.05);
  });

  it('carries an OutputIntent with the profile and the PDF/X-4 key, every font embedded and no Type 3, no DeviceRGB', () => {
    const q = join(dir, 'press-qdf.pdf');
    execFileSync('qpdf', ['--qdf', '--object-streams=disable', pressPdf, q]);
    const text = readFileSync(q, 'latin1');
    expect(text).toMatch(/\/GTS_PDFXVersion \(PDF\/X-4\)/);
    expect(text).toMatch(/\/S \/GTS_PDFX/);
    expect(text).toMatch(/\/DestOutputProfile \d+ 0 R/);
    expect(text).not.toMatch(/DeviceRGB/);
    const f = fonts(pressPdf);
    expect(f.length).toBeGreaterThan(0);
    for (const font of f) expect([font.embedded, font.type]).toEqual([true, 'CID TrueType']);
    for (const b of pageBoxes(pressPdf)) expect(b.trim.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '242.65', '153.01']);
  });

  it('keeps the seal in colour, converted to CMYK: the seal is the only ink outside K', async () => {
    const one = join(dir, 'seal.json');
    writeFileSync(one, JSON.stringify(records.slice(0, 1)));
    const r = await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      one,
      '--out',
      join(dir, 'seal-press.pdf'),
      '--color',
      'press',
      '--quiet',
    );
    expect(r.code).toBe(0);
    const [front, back] = inkcov(join(dir, 'seal-press.pdf'));
    expect(front?.[1]).toBeGreaterThan(0.001); // magenta of the red seal
    expect(back?.slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('leaves the default output as it was: --color office, or no option, give the same bytes', async () => {
    const one = join(dir, 'one.json');
    const r = await runMain(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      one,
      '--out',
      join(dir, 'office2.pdf'),
      '--insurers',
      bare,
      '--color',
      'office',
      '--quiet',
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'office2.pdf')).equals(readFileSync(officePdf))).toBe(true);
  });
});

/** POSTs `recs` to the sync render of kokuho-card with the query `query` (options as query parameters). */
function postRender(base: string, query: string, recs: readonly unknown[]): Promise<Response> {
  return fetch(`${base}/v1/render/kokuho-card?${query}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(recs),
  });
}

describe('the same options over HTTP', () => {
  it('POST /v1/render/{layout}?impose=a4 answers imposed sheets; a wrong option is a 400 naming it; POST /v1/jobs keeps them, with placements in the manifest', async () => {
    const svc = await startTestService({ engine: { tabs: 1 } });
    try {
      const sync = await postRender(svc.base, 'impose=a4&duplex=short', records.slice(0, 9));
      expect(sync.status).toBe(200);
      const file = join(dir, 'http-a4.pdf');
      writeFileSync(file, Buffer.from(await sync.arrayBuffer()));
      const boxes = pageBoxes(file);
      expect(boxes).toHaveLength(4);
      expect(boxes[0]?.media.map((v) => v.toFixed(2))).toEqual(['0.00', '0.00', '595.28', '841.89']);
      const bad = await postRender(svc.base, 'impose=a5', records.slice(0, 1));
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('impose expects a4, a3, sra3, sra4 or WxH');
      const orphan = await postRender(svc.base, 'order=cut-stack', records.slice(0, 1));
      expect(orphan.status).toBe(400);

      const created = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card&impose=a4&order=cut-stack&bleed=true`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(records),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      const job = await waitForJob(svc.base, id);
      expect(job.state).toBe('done');
      const status = (await (await fetch(`${svc.base}/v1/jobs/${id}`, { headers: AUTH })).json()) as { output: Record<string, unknown> };
      expect(status.output).toEqual({ bleed: true, impose: 'a4', duplex: 'long', order: 'cut-stack', color: 'office' });
      const result = join(dir, 'job-a4.pdf');
      writeFileSync(result, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
      expect(pageBoxes(result)).toHaveLength(6);
      const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as {
        records: { record: number; placements: { sheet: number; slot: number; side: string }[] }[];
      };
      expect(manifest.records).toHaveLength(19);
      const front = (r: number) => manifest.records[r - 1]?.placements.find((p) => p.side === 'front');
      expect([1, 2, 3, 4].map((r) => [front(r)?.sheet, front(r)?.slot])).toEqual([
        [1, 1],
        [2, 1],
        [3, 1],
        [1, 2],
      ]);
      // its input was put in sheet order before printing, so its sheets filled one after another
      expect(svc.logLines.some((l) => l.includes('input put in sheet order for cut-stack imposition'))).toBe(true);
      for (let r = 1; r <= 19; r++) {
        const p = front(r)!;
        expect((p.slot - 1) * 3 + (p.sheet - 1)).toBe(r - 1); // pile `slot` stacked on the ones before it
      }
    } finally {
      await svc.close();
    }
  });

  it('a cut-stack job of several chunks is printed in sheet order and comes out with every record on its pile', async () => {
    const svc = await startTestService({ engine: { tabs: 1 } });
    try {
      const many = Array.from({ length: 450 }, (_, i) => ({ ...records[i % records.length], number: String(2000000 + i) }));
      const created = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card&impose=a4&order=cut-stack`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(many),
      });
      const { id } = (await created.json()) as { id: string };
      expect((await waitForJob(svc.base, id)).state).toBe('done');
      const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as {
        records: { placements: { sheet: number; slot: number; side: string }[] }[];
      };
      const sheets = Math.ceil(450 / 8);
      manifest.records.forEach((r, i) => {
        const front = r.placements.find((p) => p.side === 'front')!;
        expect([front.sheet, front.slot]).toEqual([(i % sheets) + 1, Math.floor(i / sheets) + 1]);
      });
      const result = join(dir, 'job-stack.pdf');
      writeFileSync(result, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
      expect(pageBoxes(result)).toHaveLength(sheets * 2);
    } finally {
      await svc.close();
    }
  });

  it("color=press uses the service's SHIKAKU_PRESS_ICC profile, which must exist", async () => {
    const icc = '/usr/share/color/icc/ghostscript/ps_cmyk.icc';
    expect(configFromEnv({ SHIKAKU_PRESS_ICC: icc }).pressIcc).toBe(icc);
    expect(() => configFromEnv({ SHIKAKU_PRESS_ICC: join(dir, 'none.icc') })).toThrow(
      /SHIKAKU_PRESS_ICC must name an ICC profile file that exists/,
    );
    const svc = await startTestService({ engine: { tabs: 1 }, pressIcc: icc });
    try {
      const res = await postRender(svc.base, 'color=press', records.slice(0, 1));
      expect(res.status).toBe(200);
      const file = join(dir, 'http-press.pdf');
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      // the OutputIntent carries the service's profile, byte for byte
      const doc = await PDFDocument.load(readFileSync(file));
      const intents = doc.catalog.lookup(PDFName.of('OutputIntents'), PDFArray);
      const intent = intents.lookup(0, PDFDict);
      const profile = doc.context.lookup(intent.get(PDFName.of('DestOutputProfile')));
      if (!(profile instanceof PDFRawStream)) throw new Error('no DestOutputProfile stream');
      expect(Buffer.from(decodePDFRawStream(profile).decode()).equals(readFileSync(icc))).toBe(true);
      expect(intent.get(PDFName.of('S'))).toBe(PDFName.of('GTS_PDFX'));
    } finally {
      await svc.close();
    }
  });
});
