// The 宛名 block of the A4 notices, read back from the printed PDF (the mailing issue's Done-when points):
// the カスタマバーコード's rectangles decode to the record's characters at Japan Post's sizes; the block, and
// nothing else of the page, shows through the envelope's window 2 mm clear of its frame however the insert
// moves; a notice without mailing fields has no block; the longest notices keep their upper content above
// the tear-off strip's cut note; an address outside its postal code's towns gets the block without bars.
// Rectangles come from `mutool trace`, words from `pdftotext -bbox-layout` (test/helpers/pdf-rects.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BarKind,
  type Engine,
  addressCodes,
  decodeBars,
  getLayout,
  loadLayouts,
  loadSamples,
  symbolChars,
  BAR_COUNT,
  BAR_SIZES_10PT,
  BARCODE_POINTS,
} from '../engine/index.ts';
import { barcodePointsFor, blockArea, windowOnSheet, WINDOW_CLEARANCE_MM, type Envelope } from '../engine/mail/envelopes.ts';
import { nw7Barcode, NW7_HEIGHT_MM } from '../engine/mail/registered-barcode.ts';
import { parseInquiry } from '../engine/records/inquiry-number.ts';
import type { RegisteredKind } from '../engine/mail/number-band.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import {
  inset,
  isBlack,
  isWhite,
  margin,
  overlaps,
  parseTrace,
  parseWords,
  traceOf,
  words,
  type Box,
  type FilledRect,
  type PageTrace,
  type Word,
} from './helpers/pdf-rects.ts';

const layouts = loadLayouts();
const samples = (id: string) => loadSamples(getLayout(layouts, id)) as Record<string, unknown>[];
const kokuho = samples('kokuho-notice');
const kouki = samples('kouki-notice');
const kenpo = samples('kenpo-notice');
const dir = mkdtempSync(join(tmpdir(), 'shikaku-address-block-'));
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An address of 今市町 with a building on the second line (check character CC5). */
const IZUMO = { postalCode: '693-0001', address: '島根県出雲市今市町1234番地5 今市ハイツ201号' };
/**
 * An address whose check character is 0: Japan Post's worked example 8 (manual p19; test/address-codes.test.ts),
 * 東3丁目-20-5 郵便・A&bコーポB604号 of 273-0102, 住所表示番号 3-20-5B604. The check value 0 is the case
 * bwip-js draws as a zero-height bar (docs/spec/mailing.md); it must print as F T T.
 */
const CHECK_0 = { postalCode: '273-0102', address: '千葉県鎌ヶ谷市右京塚東3丁目-20-5 郵便・A&bコーポB604号' };
/** A 霞が関 address under 今市町's postal code: no town of 693-0001, so no barcode. */
const OTHER_TOWN = { postalCode: '693-0001', address: '東京都千代田区霞が関1丁目3番2号 郵便プラザ503室' };
/** The longest address the notices are checked with: two lines, the second long. */
const LONG = { postalCode: '693-0001', address: '島根県出雲市今市町1234番地56 出雲今市駅前グランドハイツ東棟1201号室' };

/** Measuring to 0.005 mm (1/5080 in): below any printer's resolution, above the PDF's rounding. */
const EPS_MM = 0.005;

interface Page {
  pdf: string;
  trace: PageTrace;
  words: Word[];
}

let rendered = 0;
/** Page 1 of `layout` printed for `record` by the worker's engine, read back. */
async function printed(layout: string, record: Record<string, unknown>, registered?: RegisteredKind): Promise<Page> {
  const pdf = join(dir, `${layout}-${++rendered}.pdf`);
  writeFileSync(pdf, (await engine.renderPdf(layout, [record], { registered })).pdf);
  return { pdf, trace: traceOf(pdf, 1), words: words(pdf, 1) };
}

// ---------------------------------------------------------------------------------------------------------
// Reading the barcode back

/**
 * Rows of bar-like black rectangles, left to right: taller than wide, under 5 mm, each the next one's
 * neighbour (a gap of 0.1–1.5 mm) and sharing its middle. A barcode is a row of 67.
 */
function barRows(rects: readonly FilledRect[]): FilledRect[][] {
  const bars = rects
    // Under 4.4 mm: the tallest bar at 11.5 pt is 4.14 mm; a registered piece's NW-7 bars are 4.5 mm.
    .filter((r) => isBlack(r) && r.width > 0.1 && r.width < 1.5 && r.height < 4.4 && r.height >= 1.2 * r.width)
    .sort((a, b) => a.x - b.x);
  const rows: FilledRect[][] = [];
  for (const b of bars) {
    const row = rows.find((r) => {
      const last = r.at(-1) as FilledRect;
      const gap = b.x - (last.x + last.width);
      return gap > 0.1 && gap < 1.5 && b.y < last.y + last.height && last.y < b.y + b.height;
    });
    if (row) row.push(b);
    else rows.push([b]);
  }
  return rows;
}

/** The page's barcode: its one row of BAR_COUNT bars. */
function barcodeOf(page: Page): FilledRect[] {
  const rows = barRows(page.trace.rects).filter((r) => r.length >= 10);
  expect(
    rows.map((r) => r.length),
    'rows of bars on the page',
  ).toEqual([BAR_COUNT]);
  return rows[0] as FilledRect[];
}

/**
 * A registered piece's NW-7 bars: black rectangles NW7_HEIGHT_MM tall, left to right. They must be exactly
 * the bars bwip-js encodes for `number` (their widths and places, from the first one's left edge).
 */
function nw7Of(page: Page, number: string): FilledRect[] {
  const bars = page.trace.rects
    .filter((r) => isBlack(r) && Math.abs(r.height - NW7_HEIGHT_MM) < EPS_MM && r.width < 1)
    .sort((a, b) => a.x - b.x);
  const expected = nw7Barcode(parseInquiry(number)).bars;
  const x0 = bars[0]?.x ?? 0;
  // Chromium writes the SVG's rectangles to 0.01 mm and may put the next one 0.02 mm off its place.
  const off = bars.map((b, i) => {
    const e = expected[i];
    return e ? Math.max(Math.abs(b.x - x0 - e.x), Math.abs(b.width - e.width)) : Infinity;
  });
  expect(bars.length, `the NW-7 bars of ${number}`).toBe(expected.length);
  expect(Math.max(...off), `the NW-7 bars of ${number}: the farthest off its place (mm)`).toBeLessThan(0.03);
  return bars;
}

/**
 * Each bar's kind from its top and bottom against the tallest bar's span, in thirds: F the whole span,
 * A the upper two thirds, D the lower two, T the middle one; `?` anything else.
 */
function kindsOf(row: readonly FilledRect[]): (BarKind | '?')[] {
  const tallest = row.reduce((a, b) => (b.height > a.height ? b : a));
  const top = tallest.y;
  const third = tallest.height / 3;
  const near = (v: number, thirds: number) => Math.abs(v - (top + thirds * third)) < third / 2;
  return row.map((r) => {
    const [t, b] = [r.y, r.y + r.height];
    if (near(t, 0) && near(b, 3)) return 'F';
    if (near(t, 0) && near(b, 2)) return 'A';
    if (near(t, 1) && near(b, 3)) return 'D';
    if (near(t, 1) && near(b, 2)) return 'T';
    return '?';
  });
}

/** What the bars read as: their characters, or why they cannot be read. */
function readBars(row: readonly FilledRect[]): string[] | string {
  const kinds = kindsOf(row);
  if (kinds.includes('?')) return `bar ${kinds.indexOf('?') + 1} is of no kind`;
  const read = decodeBars(kinds as BarKind[]);
  return 'chars' in read ? read.chars : read.error;
}

type Range = [number, number];
/** A symbol's sizes as printed, each as the least and the most of its bars, in mm; the size in points. */
interface BarSizes {
  points: number;
  width: Range;
  pitch: Range;
  long: Range;
  semiLong: Range;
  timing: Range;
  space: Range;
}

const range = (xs: number[]): Range => [Math.min(...xs), Math.max(...xs)];

function measure(row: readonly FilledRect[]): BarSizes {
  const kinds = kindsOf(row);
  const of = (k: BarKind[]) => row.filter((_, i) => k.includes(kinds[i] as BarKind)).map((r) => r.height);
  const pairs = row.slice(1).map((r, i) => [row[i] as FilledRect, r] as const);
  const long = range(of(['F']));
  return {
    // The size is what the long bar says: 3.6 mm at 10 pt.
    points: (long[1] / BAR_SIZES_10PT.long.size) * 10,
    width: range(row.map((r) => r.width)),
    pitch: range(pairs.map(([a, b]) => b.x - a.x)),
    long,
    semiLong: range(of(['A', 'D'])),
    timing: range(of(['T'])),
    space: range(pairs.map(([a, b]) => b.x - (a.x + a.width))),
  };
}

/** Where the measured sizes leave Japan Post's ranges at the printed size (docs/spec/mailing.md). */
function sizeProblems(m: BarSizes): string[] {
  const out: string[] = [];
  const k = m.points / 10;
  if (!(m.points >= BARCODE_POINTS.min && m.points <= BARCODE_POINTS.max)) out.push(`size ${m.points.toFixed(3)} pt is outside 8–11.5 pt`);
  const ranges: [keyof Omit<BarSizes, 'points'>, number, number][] = [
    ['width', BAR_SIZES_10PT.width.min, BAR_SIZES_10PT.width.max],
    ['pitch', BAR_SIZES_10PT.pitch.min, BAR_SIZES_10PT.pitch.max],
    ['long', BAR_SIZES_10PT.long.min, BAR_SIZES_10PT.long.max],
    // The manual gives the semi-long bar as 2.4 mm with no range: the timing bar's ±0.15 mm is allowed.
    ['semiLong', 2.4 - 0.15, 2.4 + 0.15],
    ['timing', BAR_SIZES_10PT.timing.min, BAR_SIZES_10PT.timing.max],
    ['space', BAR_SIZES_10PT.space.min, BAR_SIZES_10PT.space.max],
  ];
  for (const [name, min, max] of ranges) {
    const [lo, hi] = m[name];
    if (lo < min * k - EPS_MM || hi > max * k + EPS_MM) {
      out.push(
        `${name} ${lo.toFixed(4)}–${hi.toFixed(4)} mm is outside ${(min * k).toFixed(4)}–${(max * k).toFixed(4)} mm at ${m.points.toFixed(3)} pt`,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The window

interface Window {
  label: string;
  box: Box;
}

/** The window on the sheet with the insert at each extreme of its play (dx ±play.x, dy ±play.y). */
function shiftedWindows(envelope: Envelope): Window[] {
  const { x, y } = envelope.playMm;
  return [-x, x].flatMap((dx) =>
    [-y, y].map((dy) => ({ label: `dx ${dx > 0 ? '+' : ''}${dx}, dy ${dy > 0 ? '+' : ''}${dy}`, box: windowOnSheet(envelope, dx, dy) })),
  );
}

/** What a page shows through any of the windows: words, non-white rectangles and other marks. */
function throughWindows(page: Page, windows: readonly Window[]) {
  const seen = (b: Box) => windows.some((w) => overlaps(b, w.box));
  return {
    words: page.words.filter(seen).sort((a, b) => a.line - b.line || a.x - b.x),
    rects: page.trace.rects.filter((r) => !isWhite(r) && seen(r)),
    marks: page.trace.marks.filter((m) => !(m.color !== '' && isWhite(m)) && seen(m)),
  };
}

/** How far each thing keeps inside each window minus 2 mm (the least), and where one does not. */
function clearance(things: readonly { label: string; box: Box }[], windows: readonly Window[]): { least: number; problems: string[] } {
  let least = Infinity;
  const problems: string[] = [];
  for (const w of windows) {
    const area = inset(w.box, WINDOW_CLEARANCE_MM);
    for (const t of things) {
      const m = margin(t.box, area);
      least = Math.min(least, m);
      if (m < -EPS_MM) problems.push(`${t.label} is ${(-m).toFixed(3)} mm outside the window minus 2 mm at ${w.label}`);
    }
  }
  return { least, problems };
}

/** The text the block prints: 〒 and the code, the address, the addressee and 様, without blanks. */
const blockText = (to: { postalCode: string; address: string }, name: string) =>
  `〒${to.postalCode.slice(0, 3)}-${to.postalCode.slice(-4)}${to.address}${name}様`.replace(/\s/gu, '');

const joined = (ws: readonly Word[]) => ws.map((w) => w.text).join('');

/**
 * Everything the window check asks of a printed notice: what shows through the windows is exactly the
 * block's text and its barcode's bars, and each of those keeps inside every window minus 2 mm.
 */
function windowProblems(page: Page, windows: readonly Window[], expectedText: string, bars: readonly FilledRect[]): string[] {
  const seen = throughWindows(page, windows);
  const out: string[] = [];
  if (joined(seen.words) !== expectedText) out.push(`through the window: "${joined(seen.words)}", expected "${expectedText}"`);
  const strays = seen.rects.filter((r) => !bars.includes(r));
  for (const r of strays) out.push(`a ${r.color} rectangle at ${r.x.toFixed(2)}, ${r.y.toFixed(2)} mm shows through the window`);
  for (const m of seen.marks) out.push(`a ${m.kind} at ${m.x.toFixed(2)}, ${m.y.toFixed(2)} mm shows through the window`);
  const missing = bars.filter((b) => !seen.rects.includes(b));
  if (missing.length > 0) out.push(`${missing.length} bars do not show through the window`);
  const things = [...seen.words.map((w) => ({ label: `"${w.text}"`, box: w })), ...bars.map((b, i) => ({ label: `bar ${i + 1}`, box: b }))];
  out.push(...clearance(things, windows).problems);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The strip and the contact block

// The tear-off strip: card-size at the lower right, 12 mm from the right and bottom edges (layouts/_shared/notice.css).
const STRIP: Box = { x: 210 - 12 - 85.6, y: 297 - 12 - 53.98, width: 85.6, height: 53.98 };

/** Words in rows: those whose tops lie within 1 mm of each other, top to bottom, each row left to right. */
function rows(ws: readonly Word[]): Word[][] {
  const out: Word[][] = [];
  for (const w of [...ws].sort((a, b) => a.y - b.y || a.x - b.x)) {
    const row = out.find((r) => Math.abs((r[0] as Word).y - w.y) < 1);
    if (row) row.push(w);
    else out.push([w]);
  }
  return out.map((r) => r.sort((a, b) => a.x - b.x));
}

/** The row of 「切り取り線」: the cut note above the strip. */
function cutNote(ws: readonly Word[]): Word[] {
  const row = rows(ws).find((r) => r.some((w) => w.text.includes('切り取り線')));
  expect(row, 'the cut note 「切り取り線」').toBeDefined();
  return row as Word[];
}

/** A word of the tear-off strip (right of its left edge, below its top). */
const inStrip = (w: Box) => w.x >= STRIP.x && w.y >= STRIP.y;

/**
 * 【お問い合わせ先】 and the rows under it that start where it starts, each less than 3 mm below the one
 * before: the contact block (layouts/_shared/notice-contact.hbs). The strip's words and the cut note do
 * not interrupt it: a block that runs into them is followed to its end.
 */
function contactBlock(ws: readonly Word[]): Word[] {
  const note = rows(ws).find((r) => r.some((w) => w.text.includes('切り取り線'))) ?? [];
  const all = rows(ws.filter((w) => !inStrip(w) && !note.includes(w)));
  const start = all.findIndex((r) => r.some((w) => w.text.includes('【お問い合わせ先】')));
  expect(start, 'the contact block 【お問い合わせ先】').toBeGreaterThanOrEqual(0);
  const left = (all[start] as Word[])[0] as Word;
  const block = [all[start] as Word[]];
  for (const row of all.slice(start + 1)) {
    const prev = block.at(-1) as Word[];
    const bottom = Math.max(...prev.map((w) => w.y + w.height));
    if (Math.abs((row[0] as Word).x - left.x) > 0.5 || (row[0] as Word).y - bottom > 3) break;
    block.push(row);
  }
  return block.flat();
}

/** Words of the upper part (not the strip, not the cut note) that reach the cut note's top or below. */
function belowCutNote(ws: readonly Word[]): { cutTop: number; problems: string[] } {
  const note = cutNote(ws);
  const cutTop = Math.min(...note.map((w) => w.y));
  const problems = ws
    .filter((w) => !note.includes(w) && !inStrip(w))
    .filter((w) => w.y + w.height > cutTop)
    .map((w) => `"${w.text}" reaches ${(w.y + w.height).toFixed(2)} mm, the cut note starts at ${cutTop.toFixed(2)} mm`);
  return { cutTop, problems };
}

// ---------------------------------------------------------------------------------------------------------

describe('reading PDF drawings (test/helpers/pdf-rects.ts)', () => {
  const trace = `<document filename="x.pdf">
<page number="1" mediabox="0 0 595.276 841.89">
<fill_path winding="nonzero" colorspace="DeviceRGB" color="1 1 1" transform=".75 0 0 .75 0 0">
    <moveto x="0" y="0"/><lineto x="794" y="0"/><lineto x="794" y="1123"/><lineto x="0" y="1123"/><closepath/>
</fill_path>
    <fill_path winding="nonzero" colorspace="DeviceRGB" color="0 0 0" transform="2.8346457 0 0 2.8346457 72 144">
        <moveto x="1" y="2"/>
        <lineto x="1.6" y="2"/>
        <lineto x="1.6" y="5.6"/>
        <lineto x="1" y="5.6"/>
        <lineto x="1" y="2"/>
    </fill_path>
    <fill_path winding="nonzero" colorspace="DeviceGray" color="0" transform="1 0 0 1 0 0">
        <moveto x="10" y="10"/><lineto x="20" y="10"/><lineto x="10" y="20"/><closepath/>
    </fill_path>
    <stroke_path linewidth="2" colorspace="DeviceRGB" color="0 0 0" transform="1 0 0 1 0 0">
        <moveto x="100" y="100"/><curveto x1="110" y1="100" x2="110" y2="110" x3="100" y3="110"/>
    </stroke_path>
    <fill_path winding="nonzero" colorspace="DeviceRGB" color=".9333 .9333 .9333" transform="0 1 -1 0 300 0">
        <moveto x="0" y="0"/><lineto x="10" y="0"/><lineto x="10" y="20"/><lineto x="0" y="20"/><closepath/>
    </fill_path>
</page>
</document>`;

  it('keeps axis-aligned 4-corner closed fills as rectangles in mm, transforms applied', () => {
    const t = parseTrace(trace);
    expect(t.widthMm).toBeCloseTo(210, 3);
    expect(t.heightMm).toBeCloseTo(297, 3);
    const [page, bar, turned] = t.rects;
    expect(t.rects).toHaveLength(3);
    expect(page).toMatchObject({ x: 0, y: 0, color: '1 1 1' });
    expect(page!.width).toBeCloseTo(210.08, 2);
    // 72 pt and 144 pt of offset are 25.4 and 50.8 mm; the path is in mm (2.8346 pt/mm).
    expect(bar!.x).toBeCloseTo(25.4 + 1, 4);
    expect(bar!.y).toBeCloseTo(50.8 + 2, 4);
    expect(bar!.width).toBeCloseTo(0.6, 4);
    expect(bar!.height).toBeCloseTo(3.6, 4);
    expect(bar).toMatchObject({ color: '0 0 0', colorspace: 'DeviceRGB', path: 1 });
    // Turned a quarter: x' = -y + 300, y' = x.
    expect(turned!.x * (72 / 25.4)).toBeCloseTo(280, 3);
    expect(turned!.width * (72 / 25.4)).toBeCloseTo(20, 3);
    expect(turned!.height * (72 / 25.4)).toBeCloseTo(10, 3);
  });

  it('gives every other fill and every stroke by its bounds', () => {
    const { marks } = parseTrace(trace);
    expect(marks.map((m) => m.kind)).toEqual(['fill', 'stroke']);
    const pt = (mm: number) => mm * (72 / 25.4);
    // The stroke grows by half its line width.
    expect(pt(marks[1]!.x)).toBeCloseTo(99, 3);
    expect(pt(marks[1]!.width)).toBeCloseTo(12, 3);
  });

  it('reads words with their boxes, blocks and lines, entities decoded', () => {
    const ws = parseWords(`<doc><page width="595.28" height="841.89"><flow><block xMin="72" yMin="72" xMax="144" yMax="90">
<line xMin="72" yMin="72" xMax="144" yMax="90"><word xMin="72.000000" yMin="72.000000" xMax="144.000000" yMax="90.000000">A&amp;b</word>
<word xMin="150" yMin="72" xMax="160" yMax="90">様</word></line></block><block><line><word xMin="0" yMin="144" xMax="72" yMax="162">〒693-0001</word></line></block></flow></page></doc>`);
    expect(ws.map((w) => [w.text, w.block, w.line])).toEqual([
      ['A&b', 0, 0],
      ['様', 0, 0],
      ['〒693-0001', 1, 1],
    ]);
    expect(ws[0]!.x).toBeCloseTo(25.4, 6);
    expect(ws[0]!.width).toBeCloseTo(25.4, 6);
    expect(ws[2]!.y).toBeCloseTo(50.8, 6);
  });

  it('tells white and black apart in every colour space', () => {
    expect(isWhite({ color: '1 1 1', colorspace: 'DeviceRGB' })).toBe(true);
    expect(isWhite({ color: '1', colorspace: 'DeviceGray' })).toBe(true);
    expect(isWhite({ color: '0 0 0 0', colorspace: 'DeviceCMYK' })).toBe(true);
    expect(isWhite({ color: '.9333 .9333 .9333', colorspace: 'DeviceRGB' })).toBe(false);
    expect(isBlack({ color: '0 0 0', colorspace: 'DeviceRGB' })).toBe(true);
    expect(isBlack({ color: '0 0 0 1', colorspace: 'DeviceCMYK' })).toBe(true);
    expect(isBlack({ color: '.2', colorspace: 'DeviceGray' })).toBe(false);
  });
});

describe('the カスタマバーコード read back from the printed rectangles', () => {
  const cases = [
    ['an address of 今市町 (check character CC5)', IZUMO],
    ['Japan Post example 8, whose check character is 0', CHECK_0],
  ] as const;

  it('the addresses are what they are said to be', () => {
    const izumo = addressCodes(IZUMO);
    const zero = addressCodes(CHECK_0);
    expect('check' in izumo && `${izumo.number} ${izumo.check}`).toBe('1234-5-201 CC5');
    expect('check' in zero && `${zero.number} ${zero.check}`).toBe('3-20-5B604 0');
  });

  for (const [name, to] of cases) {
    it(`${name}: 67 bars that decode to the record's characters, check character included, at Japan Post's sizes`, async () => {
      const page = await printed('kokuho-notice', { ...kokuho[0], ...to });
      const codes = addressCodes(to);
      if (!('chars' in codes)) throw new Error(codes.reason);
      const bars = barcodeOf(page);
      expect(readBars(bars)).toEqual(symbolChars(codes.postal, codes.number));
      const m = measure(bars);
      expect(sizeProblems(m)).toEqual([]);
      // Printed at the size the window's block allows, not scaled on the way.
      const area = blockArea(engine.envelopeFor(kokuho[0]!.insurerNumber as string));
      expect(m.points).toBeCloseTo(barcodePointsFor(area.width), 2);
      // The barcode stands below the addressee's name (Japan Post: alone, directly below the name).
      const honorific = page.words.filter((w) => w.text === '様' && overlaps(w, area));
      expect(honorific).toHaveLength(1);
      expect(Math.min(...bars.map((b) => b.y))).toBeGreaterThan(honorific[0]!.y + honorific[0]!.height);
    });
  }

  it('the checks fail on a broken barcode: a bar of the wrong kind, too wide, out of pitch, or the wrong size', async () => {
    const page = await printed('kokuho-notice', { ...kokuho[0], ...IZUMO });
    const bars = barcodeOf(page);
    const codes = addressCodes(IZUMO);
    if (!('chars' in codes)) throw new Error(codes.reason);
    const changed = (i: number, to: Partial<FilledRect>) => bars.map((b, j) => (j === i ? { ...b, ...to } : b));
    const third = timingHeight(bars);
    // The 3rd bar (first of the postal code's 6: D A F) raised to the upper two thirds: A A F is no character.
    expect(kindsOf(bars)[2]).toBe('D');
    expect(readBars(changed(2, { y: bars[2]!.y - third }))).toBe('bars 3–5 (AAF) are no character');
    // Its 5th made a timing bar: D A T is CC1, a character, and the check character no longer matches.
    expect(readBars(changed(4, { y: bars[4]!.y + third, height: third }))).toBe('check character CC5 does not match');
    // The check character's first bar (CC5: A T D) made a timing bar: T T D is no character.
    expect(readBars(changed(62, { y: bars[62]!.y + third, height: third }))).toBe('bars 63–65 (TTD) are no character');
    // A bar cut short of its third is of no kind at all.
    expect(readBars(changed(0, { height: bars[0]!.height * 0.5 }))).toBe('bar 1 is of no kind');
    expect(sizeProblems(measure(changed(10, { width: bars[10]!.width + 0.15 })))).not.toEqual([]);
    expect(sizeProblems(measure(changed(10, { x: bars[10]!.x + 0.2 })))).not.toEqual([]);
    expect(sizeProblems(measure(changed(30, { x: bars[30]!.x + 0.02 })))).not.toEqual([]);
    const scaled = (k: number) => bars.map((b) => ({ ...b, x: b.x * k, y: b.y * k, width: b.width * k, height: b.height * k }));
    expect(sizeProblems(measure(scaled(7.9 / 9.75)))).not.toEqual([]);
    expect(sizeProblems(measure(scaled(11.6 / 9.75)))).not.toEqual([]);
    expect(sizeProblems(measure(scaled(1)))).toEqual([]);
  });
});

/** A third of the long bar: the timing bar's height. */
function timingHeight(bars: readonly FilledRect[]): number {
  return Math.max(...bars.map((b) => b.height)) / 3;
}

describe('the window: the block, and nothing else, shows through it 2 mm clear of its frame', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['kokuho-notice', { ...kokuho[1], ...IZUMO }, '髙橋﨑子'],
    ['kokuho-notice', { ...kokuho[0], ...LONG }, '佐藤太郎'],
    ['kouki-notice', { ...kouki[1], ...CHECK_0, addressee: '𠮷岡 一郎' }, '𠮷岡一郎'],
    ['kenpo-notice', { ...kenpo[2], postalCode: IZUMO.postalCode, mailingAddress: IZUMO.address, address: CHECK_0.address }, '髙木榮一'],
  ];

  for (const [layout, record, name] of cases) {
    it(`${layout} ${record.name as string}: at every extreme of the insert's play`, async () => {
      const page = await printed(layout, record);
      const envelope = engine.envelopeFor(record.insurerNumber as string);
      const windows = shiftedWindows(envelope);
      const to = { postalCode: record.postalCode as string, address: (record.mailingAddress ?? record.address) as string };
      const bars = barcodeOf(page);
      expect(windowProblems(page, windows, blockText(to, name), bars)).toEqual([]);
      expect(page.trace.rects.filter((r) => isBlack(r) && Math.abs(r.height - NW7_HEIGHT_MM) < EPS_MM)).toEqual([]);
      // Personal data never shows: 記号, 番号 and their values stand outside every window.
      const personal = page.words.filter((w) =>
        [record.symbol, record.number, '記号', '番号', '被保険者番号'].some((t) => typeof t === 'string' && w.text.includes(t)),
      );
      expect(personal.length).toBeGreaterThan(0);
      expect(personal.filter((w) => windows.some((win) => overlaps(w, win.box))).map((w) => w.text)).toEqual([]);
    });
  }

  // Registered mail: the NW-7 bars, the kind and the number join the block, inside the window too. The
  // longest address (two lines) leaves the least room under it.
  const registered: [string, Record<string, unknown>, string, RegisteredKind, string][] = [
    ['kokuho-notice', { ...kokuho[0], ...LONG }, '佐藤太郎', 'kani', '簡易書留'],
    ['kouki-notice', { ...kouki[1], ...CHECK_0, addressee: '𠮷岡 一郎' }, '𠮷岡一郎', 'tokutei', '特定記録'],
    [
      'kenpo-notice',
      { ...kenpo[2], postalCode: OTHER_TOWN.postalCode, mailingAddress: OTHER_TOWN.address },
      '髙木榮一',
      'ippan',
      '一般書留',
    ],
  ];
  for (const [layout, record, name, kind, label] of registered) {
    it(`${layout} ${record.name as string}, ${label}: the number's NW-7 bars, kind and number show too, 2 mm clear`, async () => {
      const number = '131-12-38385-2';
      const page = await printed(layout, { ...record, registeredNumber: number }, kind);
      const windows = shiftedWindows(engine.envelopeFor(record.insurerNumber as string));
      const to = { postalCode: record.postalCode as string, address: (record.mailingAddress ?? record.address) as string };
      // An address outside its postal code's towns has no カスタマバーコード: the NW-7 line follows the name.
      const customer = to.address === OTHER_TOWN.address ? [] : barcodeOf(page);
      const nw7 = nw7Of(page, number);
      expect(windowProblems(page, windows, `${blockText(to, name)}${label}${number}`, [...customer, ...nw7])).toEqual([]);
      // 2 mm clear between the カスタマバーコード and the NW-7 bars (Japan Post's clear zone).
      if (customer.length)
        expect(Math.min(...nw7.map((b) => b.y)) - Math.max(...customer.map((b) => b.y + b.height))).toBeGreaterThanOrEqual(2 - EPS_MM);
    });
  }

  it('the check fails when something moves into a window or a bar or word comes within 2 mm of its frame', async () => {
    const page = await printed('kokuho-notice', { ...kokuho[0], ...IZUMO });
    const envelope = engine.envelopeFor(kokuho[0]!.insurerNumber as string);
    const windows = shiftedWindows(envelope);
    const bars = barcodeOf(page);
    const text = blockText(IZUMO, '佐藤太郎');
    const area = blockArea(envelope);
    const table = page.words.find((w) => w.text === '0034567') as Word;
    // The 番号 moved up into the window.
    const intruder = { ...page, words: page.words.map((w) => (w === table ? { ...w, y: 40, x: 80 } : w)) };
    expect(windowProblems(intruder, windows, text, bars)).not.toEqual([]);
    // A grey rectangle (a table header) in the window.
    const grey: FilledRect = { x: 60, y: 30, width: 10, height: 5, color: '.9333 .9333 .9333', colorspace: 'DeviceRGB', path: -1 };
    expect(windowProblems({ ...page, trace: { ...page.trace, rects: [...page.trace.rects, grey] } }, windows, text, bars)).not.toEqual([]);
    // The last bar 0.1 mm past the block's right edge: at dx +play it is within 2 mm of the frame.
    const last = bars.at(-1) as FilledRect;
    const moved = { ...last, x: area.x + area.width - last.width + 0.1 };
    const rects = page.trace.rects.map((r) => (r === last ? moved : r));
    expect(windowProblems({ ...page, trace: { ...page.trace, rects } }, windows, text, [...bars.slice(0, -1), moved])).not.toEqual([]);
    // 〒 0.1 mm above the block.
    const postal = page.words.find((w) => w.text.startsWith('〒') && overlaps(w, area)) as Word;
    const raised = { ...page, words: page.words.map((w) => (w === postal ? { ...w, y: area.y - 0.1 } : w)) };
    expect(windowProblems(raised, windows, text, bars)).not.toEqual([]);
  });
});

describe('a notice without mailing fields prints no block', () => {
  for (const layout of ['kokuho-notice', 'kouki-notice', 'kenpo-notice']) {
    it(`${layout}: no row of bars, and no 〒 but the insurer's contact address`, async () => {
      const records = samples(layout);
      const pdf = join(dir, `${layout}-plain.pdf`);
      writeFileSync(pdf, (await engine.renderPdf(layout, records)).pdf);
      for (let p = 1; p <= records.length; p++) {
        const trace = traceOf(pdf, p);
        const ws = words(pdf, p);
        expect(
          barRows(trace.rects)
            .filter((r) => r.length >= 10)
            .map((r) => r.length),
          `page ${p}`,
        ).toEqual([]);
        const contact = contactBlock(ws);
        expect(
          ws.filter((w) => w.text.includes('〒') && !contact.includes(w)).map((w) => w.text),
          `page ${p}`,
        ).toEqual([]);
      }
    });
  }
});

describe('the longest notices with a 宛名 block keep their upper content above the cut note', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      'kokuho-notice',
      {
        ...kokuho[1],
        ...LONG,
        remarks: '令和8年8月1日 負担割合変更（世帯の所得の更正による）',
      },
    ],
    ['kenpo-notice', { ...kenpo[2], ...LONG, remarks: '令和8年8月1日 負担割合変更' }],
  ];
  for (const [layout, record] of cases) {
    it(`${layout} with ${Object.keys(record)
      .filter((k) => ['copayRate', 'expiryDate', 'effectiveDate', 'remarks', 'myNumberLast4', 'specialCare', 'portalUrl'].includes(k))
      .join(', ')} and a long 2-line address`, async () => {
      const page = await printed(layout, record);
      barcodeOf(page); // the block is there, with its barcode
      const contact = contactBlock(page.words);
      expect(joined(contact)).toContain('電話');
      const lowest = Math.max(...contact.map((w) => w.y + w.height));
      const { cutTop, problems } = belowCutNote(page.words);
      expect(lowest, `the contact block ends at ${lowest.toFixed(2)} mm, the cut note starts at ${cutTop.toFixed(2)} mm`).toBeLessThan(
        cutTop,
      );
      expect(problems).toEqual([]);
    });
  }

  it('the check fails when the contact block reaches the cut note', async () => {
    const page = await printed('kokuho-notice', { ...kokuho[0], ...IZUMO });
    const { cutTop } = belowCutNote(page.words);
    const contact = contactBlock(page.words);
    const low = contact.at(-1) as Word;
    const pushed = page.words.map((w) => (w === low ? { ...w, y: cutTop - w.height + 0.2 } : w));
    expect(belowCutNote(pushed).problems).not.toEqual([]);
  });
});

describe('an address outside its postal code’s towns', () => {
  it('gets the block, 〒, address and name, with no barcode', async () => {
    const codes = addressCodes(OTHER_TOWN);
    expect('reason' in codes && codes.reason).toMatch(/not in a town of 郵便番号 6930001/);
    const page = await printed('kokuho-notice', { ...kokuho[0], ...OTHER_TOWN });
    expect(
      barRows(page.trace.rects)
        .filter((r) => r.length >= 10)
        .map((r) => r.length),
    ).toEqual([]);
    const windows = shiftedWindows(engine.envelopeFor(kokuho[0]!.insurerNumber as string));
    expect(windowProblems(page, windows, blockText(OTHER_TOWN, '佐藤太郎'), [])).toEqual([]);
  });
});
