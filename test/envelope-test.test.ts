// The calibration sheet of a window envelope (`envelope-test`): its page, the window and the extremes of the
// play as drawn in the PDF's content, the sample 宛名 block inside the block area, labels clear of the window
// and of every line, the text and its embedded font, the same bytes for the same profile; the command's
// usage errors; a profile whose window is too small, refused when loaded. Read back in-process with pdf-lib:
// it starts no process.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { decodeBars, PrintError } from '../engine/index.ts';
import { readPinnedFonts } from '../engine/fonts/fonts.ts';
import { boxOf, calibrationPlan, calibrationSheet, overlaps, type CalibrationPlan } from '../engine/mail/calibration-sheet.ts';
import { barcodePointsFor, getEnvelope, loadEnvelopes, windowOnSheet, type Envelope, type RectMm } from '../engine/mail/envelopes.ts';
import { runMain } from './helpers/main-in-process.ts';
import { drawnStrings, pageContents, subsetFont } from './helpers/pdf-lib-text.ts';

const PT = 72 / 25.4;
const naga3 = getEnvelope(loadEnvelopes(), 'naga3-window');
const dir = mkdtempSync(join(tmpdir(), 'shikaku-envelope-test-'));

/** A profile of its own folder, written from naga3-window with `changes`. */
function profile(id: string, changes: Partial<Envelope>): string {
  const folder = mkdtempSync(join(dir, `${id}-`));
  const { file: _file, ...data } = { ...naga3, ...changes, id };
  writeFileSync(join(folder, `${id}.json`), JSON.stringify(data));
  return folder;
}

// A window on the right of the face: the labels go to the sheet's left.
const rightWindow = getEnvelope(
  loadEnvelopes(profile('right-window', { windowMm: { x: 120, y: 22.5, width: 90, height: 45 } })),
  'right-window',
);

describe('the calibration sheet of naga3-window', async () => {
  const pdf = await calibrationSheet(naga3);
  const plan = calibrationPlan(naga3);

  it('is one page the size of the envelope’s sheet, A4', async () => {
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    const { width, height } = doc.getPage(0).getSize();
    expect(width).toBeCloseTo(595.28, 0);
    expect(height).toBeCloseTo(841.89, 0);
    expect([Math.abs(width - 595.28), Math.abs(height - 841.89)].every((d) => d <= 0.5)).toBe(true);
  });

  it('draws the window where windowOnSheet puts it (solid), the extremes of the play dashed and dotted, the block area grey', async () => {
    const paths = await strokedPaths(pdf);
    const rectOf = (r: RectMm) => [r.x, r.y, r.x + r.width, r.y, r.x + r.width, r.y + r.height, r.x, r.y + r.height].map((v) => v * PT);
    const drawn = (r: RectMm) => paths.filter((p) => p.closed && sameNumbers(p.points, rectOf(r)));
    // The middle is the profile's own window: 20, 12, 90 × 45 mm on the sheet.
    expect(windowOnSheet(naga3)).toEqual({ x: 20, y: 12, width: 90, height: 45 });
    expect(drawn(windowOnSheet(naga3))).toEqual([{ closed: true, points: expect.any(Array), width: 0.35 * PT, gray: 0, dash: [] }]);
    const { x: px, y: py } = naga3.playMm;
    expect(drawn(windowOnSheet(naga3, px, py))).toMatchObject([{ gray: 0, dash: [2 * PT, 1 * PT] }]);
    expect(drawn(windowOnSheet(naga3, -px, -py))).toMatchObject([{ gray: 0, dash: [0.4 * PT, 0.6 * PT] }]);
    // The block area, 26, 17, 78 × 35 mm, inside a grey line 0.15 mm wide whose inner edge is 0.05 mm outside it.
    expect(drawn(grow({ x: 26, y: 17, width: 78, height: 35 }, 0.125))).toMatchObject([{ gray: 0.45, width: 0.15 * PT, dash: [] }]);
    expect(plan.windows).toEqual({
      middle: windowOnSheet(naga3),
      insertLeftUp: windowOnSheet(naga3, -px, -py),
      insertRightDown: windowOnSheet(naga3, px, py),
    });
  });

  it('draws the fold lines dashed across the sheet, and a scale 100 mm long', async () => {
    const paths = await strokedPaths(pdf);
    for (const y of [99, 198])
      expect(paths.filter((p) => sameNumbers(p.points, [0, y * PT, 210 * PT, y * PT]))).toMatchObject([{ dash: [3 * PT, 1.5 * PT] }]);
    const scale = paths.filter(
      (p) => p.points.length === 4 && p.points[1] === p.points[3] && Math.abs(p.points[2]! - p.points[0]! - 100 * PT) < 0.01,
    );
    expect(scale).toHaveLength(1);
    const ticks = paths.filter(
      (p) => p.points.length === 4 && p.points[0] === p.points[2] && Math.abs(p.points[3]! - scale[0]!.points[1]!) < 0.01,
    );
    expect(ticks.map((t) => Number(((t.points[0]! - scale[0]!.points[0]!) / PT).toFixed(3)))).toEqual(
      Array.from({ length: 101 }, (_, i) => i),
    );
  });

  it('places the sample block where the engine places it, inside the block area: 〒, two address lines, the name with 様, and a barcode that reads back 2 mm below it', () => {
    const { block } = plan;
    const area = block.area;
    expect(block.barcode?.data).toBe('1000013 1-3-2-503 9');
    expect(block.barcode?.points).toBe(barcodePointsFor(area.width));
    expect(inside(area, plan.area)).toBe(true);
    const sample = plan.texts.filter((t) => t.kind === 'sample');
    expect(sample.map((t) => t.text)).toEqual(['〒100-0013', '東京都千代田区霞が関1丁目3番2号', '郵便プラザ503室', '見本 太郎', '様']);
    for (const r of [...sample.map(boxOf), ...plan.bars]) expect(inside(r, area), JSON.stringify(r)).toBe(true);
    // The name's line box ends 4.6 + 10 + 1 + 6.6 mm below the area's top; the barcode's clear zone above is 2 mm.
    const top = area.y + 4.6 + 10 + 1 + 6.6 + 2;
    expect(plan.bars).toEqual(block.barcode?.bars.map((b) => ({ x: area.x + b.x, y: top + b.y, width: b.width, height: b.height })));
    expect(plan.bars).toHaveLength(67);
    const chars = ['1', '0', '0', '0', '0', '1', '3', '1', '-', '3', '-', '2', '-', '5', '0', '3', 'CC4', 'CC4', 'CC4', 'CC4', '9'];
    expect(decodeBars(block.barcode?.bars.map((b) => b.kind) ?? [])).toEqual({ chars });
  });

  it('prints its texts in an embedded BIZ UD Gothic subset whose glyphs draw as the pinned face draws them', async () => {
    const doc = await PDFDocument.load(pdf);
    const { baseFont, program, toUnicode } = subsetFont(doc);
    expect(baseFont).toMatch(/^[A-Z]{6}\+BIZUDGothic-Regular$/);
    const texts = drawnStrings(doc, 0, toUnicode);
    for (const t of [
      '100 % で印刷してください（拡大・縮小なし）',
      '宛名の範囲（灰色の線）',
      '折り線 1（上端から 99 mm）',
      '折り線 2（上端から 198 mm）',
      '見本 太郎',
    ]) {
      expect(texts).toContain(t);
    }
    expect(texts.join('')).toContain(naga3.file);
    const subset = fontkit.create(program);
    const face = readPinnedFonts().find((f) => f.id === 'bizud-gothic' && f.weight === 400);
    const pinned = fontkit.create(readFileSync(face?.path ?? ''));
    for (const [cid, ch] of toUnicode) {
      expect({ ch, path: subset.getGlyph(cid).path.toSVG() }).toEqual({
        ch,
        path: pinned.glyphForCodePoint(ch.codePointAt(0) ?? 0).path.toSVG(),
      });
    }
  });

  it('gives the same bytes for the same profile, and other bytes for another play', async () => {
    expect(Buffer.from(await calibrationSheet(naga3)).equals(Buffer.from(pdf))).toBe(true);
    // Not the time of the save: two saves a second apart would differ.
    const doc = await PDFDocument.load(pdf, { updateMetadata: false });
    expect([doc.getCreationDate()?.toISOString(), doc.getModificationDate()?.toISOString()]).toEqual(
      Array(2).fill('2025-01-01T00:00:00.000Z'),
    );
    const other = await calibrationSheet({ ...naga3, playMm: { x: 3, y: 3 } });
    expect(Buffer.from(other).equals(Buffer.from(pdf))).toBe(false);
  });
});

describe.each([
  ['naga3-window', naga3],
  ['a window on the right of the face', rightWindow],
])('the labels of %s', (_name, envelope) => {
  const plan = calibrationPlan(envelope);

  it('stay off everything the window can show: only the sample block stands there', () => {
    const there = plan.texts.filter((t) => overlaps(boxOf(t), plan.reach));
    expect(there.map((t) => t.kind)).toEqual(Array(5).fill('sample'));
  });

  it('stay off every line and every other text, inside the sheet’s 8 mm margin', () => {
    const boxes = plan.texts.map((t) => ({ t: t.text, box: boxOf(t) }));
    boxes.forEach(({ t, box }, i) => {
      expect(inside(box, { x: 7.99, y: 7.99, width: plan.sheet.width - 15.98, height: plan.sheet.height - 15.98 }), t).toBe(true);
      for (const s of plan.strokes) expect(crosses(s, grow(box, s.widthMm / 2)), `${t} × ${JSON.stringify(s.points)}`).toBe(false);
      for (const [x, y] of plan.dots)
        expect(overlaps(box, { x: x - 0.45, y: y - 0.45, width: 0.9, height: 0.9 }), `${t} × dot`).toBe(false);
      for (const other of boxes.slice(i + 1)) expect(overlaps(box, other.box), `${t} × ${other.t}`).toBe(false);
    });
  });

  it('name each outline in a column on the side with room, joined to it by a leader', () => {
    const labels = plan.texts.filter((t) => t.kind === 'label');
    expect(labels).toHaveLength(10);
    const onRight = labels.every((t) => t.x > plan.reach.x + plan.reach.width);
    const onLeft = labels.every((t) => t.x + t.width < plan.reach.x);
    expect([onRight, onLeft]).toEqual(envelope === naga3 ? [true, false] : [false, true]);
    expect(plan.dots).toHaveLength(4);
  });
});

describe('shikaku-print envelope-test', () => {
  it('writes the sheet and exits 0', async () => {
    const out = join(dir, 'sheet.pdf');
    const run = await runMain('envelope-test', '--envelope', 'naga3-window', '--out', out);
    expect([run.code, run.stdout]).toEqual([0, '']);
    expect(run.stderr).toContain(`wrote ${out}`);
    expect(readFileSync(out).equals(Buffer.from(await calibrationSheet(naga3)))).toBe(true);
  });

  it('reads the profiles of --envelopes DIR', async () => {
    const folder = profile('wide-window', { windowMm: { x: 30, y: 20, width: 100, height: 50 } });
    const out = join(dir, 'wide.pdf');
    const run = await runMain('envelope-test', '--envelopes', folder, '--envelope', 'wide-window', '--out', out);
    expect(run.code).toBe(0);
    expect((await PDFDocument.load(readFileSync(out))).getTitle()).toBe('窓合わせ用紙 wide-window');
  });

  it('exits 2 naming the option when --envelope or --out is missing', async () => {
    const noEnvelope = await runMain('envelope-test', '--out', join(dir, 'x.pdf'));
    expect([noEnvelope.code, noEnvelope.stderr]).toEqual([2, expect.stringContaining('--envelope is required')]);
    expect(noEnvelope.stderr).toContain('usage: shikaku-print envelope-test --envelope ID --out FILE');
    const noOut = await runMain('envelope-test', '--envelope', 'naga3-window');
    expect([noOut.code, noOut.stderr]).toEqual([2, expect.stringContaining('--out is required')]);
  });

  it('exits 2 for an unknown envelope, listing the known ones', async () => {
    const run = await runMain('envelope-test', '--envelope', 'naga4-window', '--out', join(dir, 'x.pdf'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no envelope profile "naga4-window" (there are: naga3-window)');
  });

  it('exits 2 for an --envelopes folder or an --out folder that does not exist', async () => {
    const noFolder = await runMain(
      'envelope-test',
      '--envelopes',
      join(dir, 'nope'),
      '--envelope',
      'naga3-window',
      '--out',
      join(dir, 'x.pdf'),
    );
    expect([noFolder.code, noFolder.stderr]).toEqual([2, expect.stringContaining('--envelopes')]);
    const noParent = await runMain('envelope-test', '--envelope', 'naga3-window', '--out', join(dir, 'nope', 'x.pdf'));
    expect([noParent.code, noParent.stderr]).toEqual([2, expect.stringContaining('does not exist')]);
  });
});

describe('a profile whose window is too small for the 宛名 block', () => {
  const folder = profile('small-window', { windowMm: { x: 40, y: 25, width: 70, height: 40 } });

  it('is refused when loaded, with the room it leaves and the room the block needs', () => {
    expect(() => loadEnvelopes(folder)).toThrow(PrintError);
    expect(() => loadEnvelopes(folder)).toThrow(
      'the window minus 2 mm and the play leaves 58.0 × 30.0 mm, the 宛名 block needs 64 × 28 mm',
    );
  });

  it('makes envelope-test exit 1 with that message and write nothing', async () => {
    const out = join(dir, 'small.pdf');
    const run = await runMain('envelope-test', '--envelopes', folder, '--envelope', 'small-window', '--out', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('small-window.json: the window minus 2 mm and the play leaves 58.0 × 30.0 mm');
    expect(() => readFileSync(out)).toThrow();
  });
});

// --- reading the PDF and the plan back ---

interface StrokedPath {
  closed: boolean;
  /** x, y pairs in pt from the page's top-left (the drawing flips y once per path). */
  points: number[];
  width: number;
  gray: number;
  dash: number[];
}

/** The stroked paths of the page: pdf-lib writes each as `q … cm … G … w [dash] 0 d x y m x y l … [h] S Q`. */
async function strokedPaths(pdf: Uint8Array): Promise<StrokedPath[]> {
  const doc = await PDFDocument.load(pdf);
  const ops = pageContents(doc, 0);
  const found: StrokedPath[] = [];
  const re = /([\d.]+) G\n([\d.]+) w\n\[([\d. ]*)\] 0 d\n((?:[\d.]+ [\d.]+ [ml]\n)+)(h\n)?S/g;
  for (const m of ops.matchAll(re)) {
    found.push({
      gray: Number(m[1]),
      width: Number(m[2]),
      dash: (m[3] ?? '').split(' ').filter(Boolean).map(Number),
      points: [...(m[4] ?? '').matchAll(/([\d.]+) ([\d.]+) [ml]/g)].flatMap((p) => [Number(p[1]), Number(p[2])]),
      closed: m[5] !== undefined,
    });
  }
  return found;
}

function sameNumbers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - (b[i] as number)) < 0.01);
}

function inside(r: RectMm, outer: RectMm): boolean {
  const e = 1e-9;
  return (
    r.x >= outer.x - e && r.y >= outer.y - e && r.x + r.width <= outer.x + outer.width + e && r.y + r.height <= outer.y + outer.height + e
  );
}

function grow(r: RectMm, by: number): RectMm {
  return { x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by };
}

/** Whether any segment of a stroke passes through the rectangle (every stroke of the sheet is axis-aligned). */
function crosses(s: CalibrationPlan['strokes'][number], r: RectMm): boolean {
  const pts = s.closed ? [...s.points, s.points[0] as [number, number]] : s.points;
  return pts.slice(1).some(([x2, y2], i) => {
    const [x1, y1] = pts[i] as [number, number];
    const seg = { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1) || 1e-9, height: Math.abs(y2 - y1) || 1e-9 };
    return overlaps(seg, r);
  });
}
