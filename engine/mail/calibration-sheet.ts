// The calibration sheet of a window envelope (`shikaku-print envelope-test`): the sheet the insert is,
// printed at 100 % on plain paper, with its fold lines, the window where it falls at the middle and at the
// extremes of the play, the 宛名 block's area and a sample block placed as the engine places it
// (layouts/_shared/address-block.css), a 100 mm scale and what to do when the window does not match.
// A clerk folds it, slides it into a real envelope and sees whether the profile is right. Planned as data
// first (calibrationPlan, what the tests read), then drawn in vector with pdf-lib, black and grey only.
import { createHash } from 'node:crypto';
import fontkit from '@pdf-lib/fontkit';
import { grayscale, PDFDocument, type PDFFont, type PDFPage } from 'pdf-lib';
import { PrintError } from '../errors.ts';
import { embeddableGothic } from '../fonts/embeddable-gothic.ts';
import { addressBlock, type AddressBlock } from './address-block.ts';
import { blockArea, windowOnSheet, type Envelope, type RectMm } from './envelopes.ts';

/** Japan Post's own worked example (manual p17): an address that gets a barcode (1000013 1-3-2-503 9). */
const SAMPLE = {
  postalCode: '1000013',
  address: '東京都千代田区霞が関1丁目3番2号 郵便プラザ503室',
  name: '見本 太郎',
  honorific: '様',
} as const;
/** Every save gets the same dates, so the same profile gives the same bytes. */
const FIXED_DATE = new Date('2025-01-01T00:00:00Z');
const MARGIN = 8;
const SCALE_MM = 100;
const AREA_LINE_MM = 0.15;
const PT = 25.4 / 72;
/** BIZ UD Gothic's ascent and descent, in em (hhea 1802 and 246 of 2048; what Chromium places lines by). */
const ASCENT = 1802 / 2048;
const DESCENT = 246 / 2048;

/** What a text is, for the tests: only `sample` may stand where the window can show the sheet. */
export type TextKind = 'sample' | 'label' | 'fold' | 'scale' | 'instructions';

/** One line of text: its left end on the baseline, in mm from the sheet's top-left, and its width. */
export interface SheetText {
  text: string;
  x: number;
  baseline: number;
  sizePt: number;
  width: number;
  kind: TextKind;
}

/** A line through `points` (closed: back to the first), `gray` 0 black … 1 white, `dash` on and off in mm. */
export interface Stroke {
  points: [number, number][];
  closed: boolean;
  widthMm: number;
  gray: number;
  dash?: [number, number];
}

/** The sheet as data: what is where, in mm from its top-left corner. */
export interface CalibrationPlan {
  sheet: { width: number; height: number };
  folds: number[];
  /** The window on the sheet with the insert in the middle of its play, and at two opposite extremes. */
  windows: { middle: RectMm; insertLeftUp: RectMm; insertRightDown: RectMm };
  /** Everything of the sheet any position of the insert can show through the window. */
  reach: RectMm;
  area: RectMm;
  block: AddressBlock;
  strokes: Stroke[];
  /** Filled black rectangles: the barcode's bars, on the sheet. */
  bars: RectMm[];
  /** Where leader lines touch what they name. */
  dots: [number, number][];
  texts: SheetText[];
}

/** The plan of `envelope`'s calibration sheet. */
export function calibrationPlan(envelope: Envelope): CalibrationPlan {
  const { width: W, height: H } = envelope.sheetMm;
  const { x: px, y: py } = envelope.playMm;
  const windows = {
    middle: windowOnSheet(envelope),
    insertLeftUp: windowOnSheet(envelope, -px, -py),
    insertRightDown: windowOnSheet(envelope, px, py),
  };
  const reach = union(windows.insertRightDown, windows.insertLeftUp);
  const block = addressBlock(SAMPLE, envelope);
  if (!block.barcode) throw new PrintError('SETUP', `the calibration sheet's sample address gets no barcode: ${block.reason}`);
  const plan: CalibrationPlan = {
    sheet: { width: W, height: H },
    folds: envelope.foldsMm,
    windows,
    reach,
    area: blockArea(envelope),
    block,
    strokes: [],
    bars: [],
    dots: [],
    texts: [],
  };
  const text = (s: string, x: number, baseline: number, sizePt: number, kind: TextKind): SheetText => {
    const t = { text: s, x, baseline, sizePt, width: textWidth(s, sizePt), kind };
    plan.texts.push(t);
    return t;
  };
  for (const [i, y] of envelope.foldsMm.entries()) {
    plan.strokes.push(segment(0, y, W, y, 0.25, [3, 1.5]));
    const label = `折り線 ${i + 1}（上端から ${mm(y)} mm）`;
    const width = textWidth(label, 7);
    // At the left margin above the line; at the right one where the window can show the sheet; else below it.
    const spots: [number, number][] = [
      [MARGIN, y - 1.5],
      [W - MARGIN - width, y - 1.5],
      [MARGIN, y + 3.5],
    ];
    const clear = ([x, baseline]: [number, number]) =>
      !overlaps(boxOf({ text: label, x, baseline, sizePt: 7, width, kind: 'fold' }), reach);
    const [x, baseline] = spots.find(clear) ?? [MARGIN, y - 1.5];
    text(label, x, baseline, 7, 'fold');
  }
  plan.strokes.push(
    rectStroke(windows.insertRightDown, { widthMm: 0.15, gray: 0, dash: [2, 1] }),
    rectStroke(windows.insertLeftUp, { widthMm: 0.15, gray: 0, dash: [0.4, 0.6] }),
    // The area's line lies just outside it: all of the area is inside the line, and the block starts at its edge.
    rectStroke(grow(plan.area, AREA_LINE_MM / 2 + 0.05), { widthMm: AREA_LINE_MM, gray: 0.45 }),
    rectStroke(windows.middle, { widthMm: 0.35, gray: 0 }),
  );
  sampleBlock(plan, text);
  labels(plan, envelope, text);
  lowerPanels(plan, envelope, text);
  return plan;
}

/** The calibration sheet of `envelope` as a one-page PDF the size of its sheet. */
export async function calibrationSheet(envelope: Envelope): Promise<Uint8Array> {
  const plan = calibrationPlan(envelope);
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`窓合わせ用紙 ${envelope.id}`);
  doc.setLanguage('ja-JP');
  doc.setProducer('shikaku-print');
  doc.setCreator('shikaku-print envelope-test');
  doc.setCreationDate(FIXED_DATE);
  doc.setModificationDate(FIXED_DATE);
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(embeddableGothic(), { subset: true, customName: `${subsetTag(envelope)}+BIZUDGothic-Regular` });
  const page = doc.addPage([pt(plan.sheet.width), pt(plan.sheet.height)]);
  draw(page, font, plan);
  return doc.save();
}

function draw(page: PDFPage, font: PDFFont, plan: CalibrationPlan): void {
  const top = page.getHeight();
  for (const s of plan.strokes) {
    const path = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${pt(x).toFixed(3)} ${pt(y).toFixed(3)}`).join(' ') + (s.closed ? ' Z' : '');
    page.drawSvgPath(path, {
      x: 0,
      y: top,
      borderWidth: pt(s.widthMm),
      borderColor: grayscale(s.gray),
      ...(s.dash ? { borderDashArray: s.dash.map(pt) } : {}),
    });
  }
  for (const b of plan.bars)
    page.drawRectangle({ x: pt(b.x), y: top - pt(b.y + b.height), width: pt(b.width), height: pt(b.height), color: grayscale(0) });
  for (const [x, y] of plan.dots) page.drawCircle({ x: pt(x), y: top - pt(y), size: pt(0.45), color: grayscale(0) });
  for (const t of plan.texts) page.drawText(t.text, { x: pt(t.x), y: top - pt(t.baseline), size: t.sizePt, font, color: grayscale(0) });
}

type AddText = (s: string, x: number, baseline: number, sizePt: number, kind: TextKind) => SheetText;

/**
 * The sample 宛名 block where the engine puts it, line by line as address-block.css sets it: 〒 line 4.6 mm
 * at 10 pt, two address lines of 5 mm at 10.5 pt, 1 mm, the name's 6.6 mm at 13 pt (様 0.6 em after it),
 * and the barcode 2 mm below. A line's baseline sits as CSS puts it: half the leading above the em box.
 */
function sampleBlock(plan: CalibrationPlan, text: AddText): void {
  // The block's own area: where the engine puts it, which may lie a little inside blockArea.
  const { block } = plan;
  const area = block.area;
  const baseline = (top: number, height: number, sizePt: number) => top + (height - sizePt * PT) / 2 + ASCENT * sizePt * PT;
  text(`〒${block.postalCode}`, area.x, baseline(area.y, 4.6, 10), 10, 'sample');
  block.address.forEach((pieces, i) =>
    text(pieces.map((p) => p.text).join(''), area.x, baseline(area.y + 4.6 + 5 * i, 5, 10.5), 10.5, 'sample'),
  );
  const nameTop = area.y + 4.6 + 10 + 1;
  const name = text(block.addressee, area.x, baseline(nameTop, 6.6, 13), 13, 'sample');
  text(block.honorific, name.x + name.width + 0.6 * 13 * PT, name.baseline, 13, 'sample');
  const barTop = nameTop + 6.6 + 2;
  for (const bar of (block.barcode as NonNullable<AddressBlock['barcode']>).bars) {
    plan.bars.push({ x: area.x + bar.x, y: barTop + bar.y, width: bar.width, height: bar.height });
  }
}

/**
 * What each outline is, in a column beside everything the window can show (on the wider side), each with
 * a leader to its outline; the leaders bend where a label's line lies outside the outline's height.
 */
function labels(plan: CalibrationPlan, envelope: Envelope, text: AddText): void {
  const { windows: w, area, reach, block } = plan;
  const barcode = block.barcode as NonNullable<AddressBlock['barcode']>;
  const right = plan.sheet.width - (reach.x + reach.width) >= reach.x;
  // The sample's leader starts at the barcode's end on the column's side, so it crosses no bar.
  const barsEnd = right ? Math.max(...plan.bars.map((b) => b.x + b.width)) : Math.min(...plan.bars.map((b) => b.x));
  const barsBottom = Math.max(...plan.bars.map((b) => b.y + b.height));
  const barsMid = (Math.min(...plan.bars.map((b) => b.y)) + barsBottom) / 2;
  const { x: px, y: py } = envelope.playMm;
  const rows: { title: string; detail: string; rect: RectMm; span?: [number, number]; at?: [number, number] }[] = [
    { title: '窓：用紙が封筒の中で右下に寄ったとき（破線）', detail: `右へ ${mm(px)} mm・下へ ${mm(py)} mm`, rect: w.insertRightDown },
    {
      title: '窓：用紙が封筒の中央にあるとき（実線）',
      detail: `用紙の左から ${mm(w.middle.x)} mm・上から ${mm(w.middle.y)} mm、${mm(w.middle.width)} × ${mm(w.middle.height)} mm`,
      rect: w.middle,
    },
    { title: '窓：用紙が封筒の中で左上に寄ったとき（点線）', detail: `左へ ${mm(px)} mm・上へ ${mm(py)} mm`, rect: w.insertLeftUp },
    {
      title: '宛名の範囲（灰色の線）',
      detail: `窓から 2 mm とあそびを除いた ${mm(area.width)} × ${mm(area.height)} mm`,
      rect: grow(area, AREA_LINE_MM / 2 + 0.05),
      // On the left the block's lines start at the area's edge: the leader meets it below the barcode.
      ...(right ? {} : { span: [barsBottom + 0.5, area.y + area.height - 0.5] as [number, number] }),
    },
    {
      title: '見本の宛名（印刷されるとおりの位置）',
      detail: `カスタマバーコード ${barcode.points} pt（${barcode.data}）`,
      rect: area,
      at: [barsEnd, barsMid],
    },
  ];
  const column = right ? { from: reach.x + reach.width + 8, to: plan.sheet.width - MARGIN } : { from: MARGIN, to: reach.x - 8 };
  const rowHeight = 9;
  rows.forEach((row, i) => {
    const baseline = reach.y + 3 + i * rowHeight;
    const title = fitted(row.title, 7.5, column.to - column.from);
    const detail = fitted(row.detail, 6.5, column.to - column.from);
    const [tw, dw] = [textWidth(title.text, title.sizePt), textWidth(detail.text, detail.sizePt)];
    text(title.text, right ? column.from : column.to - tw, baseline, title.sizePt, 'label');
    text(detail.text, right ? column.from : column.to - dw, baseline + 3.4, detail.sizePt, 'label');
    const y = baseline - 0.3 * title.sizePt * PT;
    const edge = right ? row.rect.x + row.rect.width : row.rect.x;
    const [low, high] = row.span ?? [row.rect.y + 1, row.rect.y + row.rect.height - 1];
    const start: [number, number] = row.at ?? [edge, clamp(y, low, high)];
    const end = right ? column.from - 1.5 : column.to + 1.5;
    const bend = end + (right ? -1 : 1) * (2 + 0.8 * (rows.length - 1 - i));
    const points: [number, number][] = start[1] === y ? [start, [end, y]] : [start, [bend, start[1]], [bend, y], [end, y]];
    plan.strokes.push({ points, closed: false, widthMm: 0.1, gray: 0.35 });
    if (!row.at) plan.dots.push(start); // the barcode's own end needs no dot on it
  });
}

/**
 * The scale and the instructions, clear of the window's panel when there are folds: the instructions in the
 * last panel, the scale in the one before it (centred), or both one above the other when they share one.
 */
function lowerPanels(plan: CalibrationPlan, envelope: Envelope, text: AddText): void {
  const edges = [0, ...plan.folds, plan.sheet.height];
  const labelsBottom = Math.max(...plan.texts.filter((t) => t.kind !== 'fold').map((t) => boxOf(t).y + boxOf(t).height));
  // A panel's top clears its fold line, its bottom the next fold's label (or the sheet's margin).
  const panels = edges.slice(0, -1).map((top, i) => ({
    top: i === 0 ? Math.max(plan.reach.y + plan.reach.height, labelsBottom) + 5 : top + 4,
    bottom: i + 2 < edges.length ? (edges[i + 1] as number) - 5 : plan.sheet.height - MARGIN,
  }));
  const x = MARGIN + 7;
  const lines = instructionLines(plan, envelope, plan.sheet.width - 2 * x);
  const instructionsHeight = (lines.at(-1) as InstructionLine).dy + 2;
  const last = panels[panels.length - 1] as { top: number; bottom: number };
  let instructionsTop = last.top;
  if (panels.length >= 3) {
    const own = panels[panels.length - 2] as { top: number; bottom: number };
    scaleBar(plan, text, Math.max(own.top, (own.top + own.bottom - SCALE_HEIGHT) / 2));
  } else {
    scaleBar(plan, text, last.top);
    instructionsTop = last.top + SCALE_HEIGHT + 4;
  }
  if (instructionsTop + instructionsHeight > last.bottom) {
    throw new PrintError(
      'SETUP',
      `envelope profile ${envelope.file}: the sheet has no room for the calibration sheet's scale and instructions`,
    );
  }
  for (const l of lines) text(l.text, x + l.indent, instructionsTop + l.dy, l.sizePt, 'instructions');
}

/** How tall the scale block is, from its top: the request, the scale and its numbers, the note. */
const SCALE_HEIGHT = 36;

/** A 100 mm scale with a tick every mm, numbered every 10 mm, under the request to print at 100 %. */
function scaleBar(plan: CalibrationPlan, text: AddText, top: number): void {
  const x0 = (plan.sheet.width - SCALE_MM) / 2;
  const heading = '100 % で印刷してください（拡大・縮小なし）';
  text(heading, (plan.sheet.width - textWidth(heading, 12)) / 2, top + 5, 12, 'scale');
  const y = top + 18;
  plan.strokes.push(segment(x0, y, x0 + SCALE_MM, y, 0.2));
  for (let i = 0; i <= SCALE_MM; i++) {
    plan.strokes.push(segment(x0 + i, y - (i % 10 === 0 ? 4.5 : i % 5 === 0 ? 3 : 1.8), x0 + i, y, 0.12));
    // The numbers stand under their ticks; "mm" follows the last one.
    if (i % 10 === 0) text(i === SCALE_MM ? `${i} mm` : `${i}`, x0 + i - textWidth(`${i}`, 6) / 2, y + 3.2, 6, 'scale');
  }
  const note = '0 から 100 までが定規で 100 mm でなければ、印刷の設定を「実際のサイズ」「100 %」にして印刷し直してください。';
  wrap(note, 8, SCALE_MM + 40).forEach((l, i) => text(l, (plan.sheet.width - textWidth(l, 8)) / 2, top + 28 + i * 4.2, 8, 'scale'));
}

/** A line of the instructions: its baseline `dy` mm below the block's top, `indent` mm in. */
interface InstructionLine {
  text: string;
  sizePt: number;
  indent: number;
  dy: number;
}

/** What the sheet is for and what to do with it: the profile's figures, how to check, what to correct. */
function instructionLines(plan: CalibrationPlan, envelope: Envelope, width: number): InstructionLine[] {
  const w = plan.windows.middle;
  const { windowMm: f, playMm: play, foldsMm: folds } = envelope;
  const lines: InstructionLine[] = [];
  let dy = 0;
  const add = (s: string, { sizePt = 8, indent = 0, gap = 0, mark = '' } = {}) => {
    wrap(s, sizePt, width - indent).forEach((l, i) => {
      dy += i === 0 && lines.length === 0 ? 4 : sizePt * PT * 1.55 + (i === 0 ? gap : 0);
      if (i === 0 && mark) lines.push({ text: mark, sizePt, indent: indent - 4, dy });
      lines.push({ text: l, sizePt, indent, dy });
    });
  };
  add(`窓合わせ用紙：${envelope.name}`, { sizePt: 11 });
  add(`封筒のプロファイル：${envelope.id}（${envelope.file}）`, { gap: 2 });
  add(`窓（封筒の面）：左から ${mm(f.x)} mm・上から ${mm(f.y)} mm、幅 ${mm(f.width)} mm × 高さ ${mm(f.height)} mm`);
  add(`窓（この用紙の上、用紙が封筒の中央にあるとき）：左から ${mm(w.x)} mm・上から ${mm(w.y)} mm`);
  add(`あそび（用紙が封筒の中で動く幅）：左右に ${mm(play.x)} mm・上下に ${mm(play.y)} mm`);
  add(
    `用紙：${mm(plan.sheet.width)} × ${mm(plan.sheet.height)} mm、折り線：上端から ${folds.map((y) => `${mm(y)} mm`).join('・') || 'なし'}`,
  );
  add('■ 確かめ方', { gap: 1.5 });
  add('普通紙に 100 % で（拡大・縮小なし）印刷し、目盛りの 0 から 100 までが定規で 100 mm あることを確かめる。', { indent: 8, mark: '1.' });
  const fold = folds.length ? `折り線 ${folds.map((_, i) => i + 1).join('・')} で折って` : '';
  add(`上の面（宛名の面）が外に出るように${fold}封筒に入れる。`, { indent: 8, mark: '2.' });
  add(
    '用紙を封筒の中で上下左右に寄せても、「宛名の範囲」の枠と見本の宛名・バーコードが窓から全部見え、窓の縁から 2 mm 以上離れていることを確かめる。',
    { indent: 8, mark: '3.' },
  );
  add('■ 合わないとき', { gap: 1.5 });
  add(
    `プロファイル ${envelope.file} の windowMm（封筒の面の上での窓の位置と大きさ、mm）と playMm（用紙が封筒の中で動く幅、mm）を実物の封筒を測って直し、もう一度印刷して確かめる。`,
    { indent: 4 },
  );
  return lines;
}

/** `s` at `sizePt`, made smaller (down to 5 pt) until it is at most `width` mm wide. */
function fitted(s: string, sizePt: number, width: number): { text: string; sizePt: number } {
  let size = sizePt;
  while (size > 5 && textWidth(s, size) > width) size -= 0.25;
  return { text: s, sizePt: size };
}

/** `s` broken into lines at most `width` mm wide: between characters, never inside a Latin word or before 、。）」. */
function wrap(s: string, sizePt: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const token of s.match(/[\x21-\x7e]+[、。）」]*|[^\x21-\x7e\s][、。）」]*|\s+/gu) ?? []) {
    if (line !== '' && textWidth(line + token, sizePt) > width) {
      lines.push(line.trimEnd());
      line = token.trimStart();
    } else line += token;
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines;
}

function segment(x1: number, y1: number, x2: number, y2: number, widthMm: number, dash?: [number, number]): Stroke {
  const points: [number, number][] = [
    [x1, y1],
    [x2, y2],
  ];
  return { points, closed: false, widthMm, gray: 0, ...(dash ? { dash } : {}) };
}

function rectStroke(r: RectMm, style: Omit<Stroke, 'points' | 'closed'>): Stroke {
  return {
    ...style,
    closed: true,
    points: [
      [r.x, r.y],
      [r.x + r.width, r.y],
      [r.x + r.width, r.y + r.height],
      [r.x, r.y + r.height],
    ],
  };
}

/** Whether two rectangles share more than an edge. */
export function overlaps(a: RectMm, b: RectMm): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function grow(r: RectMm, by: number): RectMm {
  return { x: r.x - by, y: r.y - by, width: r.width + 2 * by, height: r.height + 2 * by };
}

function union(a: RectMm, b: RectMm): RectMm {
  const [x, y] = [Math.min(a.x, b.x), Math.min(a.y, b.y)];
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const mm = (v: number) => `${Number(v.toFixed(2))}`;
const pt = (v: number) => v / PT;

/** The em box of a text, in mm: what must stay clear of lines and other texts. */
export function boxOf(t: SheetText): RectMm {
  const size = t.sizePt * PT;
  return { x: t.x, y: t.baseline - ASCENT * size, width: t.width, height: (ASCENT + DESCENT) * size };
}

/** The width of `s` in mm at `sizePt`, as pdf-lib lays it out (fontkit's advances). */
function textWidth(s: string, sizePt: number): number {
  return (face().layout(s).advanceWidth / face().unitsPerEm) * sizePt * PT;
}

/** A subset tag (six capitals) from the profile: the same profile, the same font name. */
function subsetTag(envelope: Envelope): string {
  const digest = createHash('sha256').update(JSON.stringify(envelope)).digest();
  return [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
}

let fontFace: fontkit.Font | undefined;

function face(): fontkit.Font {
  fontFace ??= fontkit.create(embeddableGothic());
  return fontFace;
}
