// A mailing summary as a printable A4 sheet for the post office counter (差出票 figures): the run, its totals,
// the discount count conditions, and the 枚数 and 郵便区 tables, in BIZ UD Gothic. The same summary gives the
// same bytes: every date comes from the run's createdAt and the font's subset tag from the summary itself.
import { createHash } from 'node:crypto';
import fontkit from '@pdf-lib/fontkit';
import { grayscale, PDFDocument, type PDFFont, type PDFPage } from 'pdf-lib';
import { PrintError } from '../errors.ts';
import { embeddableGothic } from '../fonts/embeddable-gothic.ts';
import { BARCODE_DISCOUNT_PIECES, NO_DISTRICT, PRESORT_DISCOUNT_PIECES, type MailingSummary } from './mailing-summary.ts';

const TITLE = '郵便物 差出集計';
const PAGE: [number, number] = [595.28, 841.89]; // A4 portrait, pt
const MARGIN = 42;
const WIDTH = PAGE[0] - 2 * MARGIN;
const TOP = PAGE[1] - 48;
const BOTTOM = 60; // the footer sits below
const ROW = 14;
const GUTTER = 10;
const INK = grayscale(0);
const MAIL = { household: '世帯ごと', person: '本人ごと', employer: '事業所ごと' } as const;
const SORT = { postal: '郵便番号順', input: '入力順' } as const;
const DISCOUNT_NOTE = '通数の条件だけを示します。形状・重量・オプションサービスなどの条件は差出の前に郵便局で確認してください。';

/** The document being written: its pages, the one being drawn on, and how far down it is filled. */
interface Flow {
  doc: PDFDocument;
  font: PDFFont;
  pages: PDFPage[];
  page: PDFPage;
  y: number;
}

interface Column {
  header: string;
  width: number;
  align: 'left' | 'right';
}

/** A table of cells in `groups` column groups side by side; `note` is printed under its heading. */
interface Table {
  title: string;
  columns: Column[];
  groups: number;
  rows: string[][];
  note?: string;
}

/** The summary as an A4 portrait PDF of one or more pages, numbered "n / m". */
export async function mailingSummaryPdf(summary: MailingSummary): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  setMetadata(doc, summary);
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(embeddableGothic(), { subset: true, customName: `${subsetTag(summary)}+BIZUDGothic-Regular` });
  const flow: Flow = { doc, font, pages: [], page: doc.addPage(PAGE), y: TOP };
  flow.pages.push(flow.page);
  drawTitle(flow);
  drawRun(flow, summary);
  drawTotals(flow, summary);
  drawDiscounts(flow, summary);
  drawTable(flow, sheetTable(summary));
  drawTable(flow, districtTable(summary));
  drawFooters(flow, summary.run.name);
  return doc.save();
}

/** Fixed producer and creator, dates from the run: nothing that changes from one save to the next. */
function setMetadata(doc: PDFDocument, summary: MailingSummary): void {
  const made = new Date(summary.run.createdAt);
  if (Number.isNaN(made.getTime()))
    throw new PrintError('INVALID_INPUT', `mailing summary: run.createdAt is no date: "${summary.run.createdAt}"`);
  doc.setTitle(`${TITLE} ${summary.run.name}`);
  doc.setLanguage('ja-JP');
  doc.setProducer('shikaku-print');
  doc.setCreator('shikaku-print mailing summary');
  doc.setCreationDate(made);
  doc.setModificationDate(made);
}

/** Starts a new page unless `height` pt still fit above the footer. */
function ensure(f: Flow, height: number): void {
  if (f.y - height >= BOTTOM) return;
  f.page = f.doc.addPage(PAGE);
  f.pages.push(f.page);
  f.y = TOP;
}

/** Where a line of text goes: its baseline at y, starting at x, or ending there when `align` is right. */
interface At {
  x: number;
  y: number;
  size: number;
  align?: 'left' | 'right';
}

function text(f: Flow, s: string, { x, y, size, align }: At): void {
  const left = align === 'right' ? x - f.font.widthOfTextAtSize(s, size) : x;
  f.page.drawText(s, { x: left, y, size, font: f.font, color: INK });
}

/** A horizontal rule from x, `width` pt long. */
function rule(f: Flow, { x, y, width, thickness = 0.5 }: { x: number; y: number; width: number; thickness?: number }): void {
  f.page.drawLine({ start: { x, y }, end: { x: x + width, y }, thickness, color: INK });
}

function drawTitle(f: Flow): void {
  text(f, TITLE, { x: MARGIN, y: f.y - 18, size: 18 });
  rule(f, { x: MARGIN, y: f.y - 26, width: WIDTH, thickness: 1 });
  f.y -= 44;
}

/** A section heading, kept on the page of at least `following` pt of what it heads. */
function heading(f: Flow, s: string, following: number): void {
  ensure(f, 22 + following);
  text(f, s, { x: MARGIN, y: f.y - 11, size: 11 });
  rule(f, { x: MARGIN, y: f.y - 15, width: WIDTH });
  f.y -= 24;
}

/** Rows of a label and a value; values cut to the line with "…" (a run name may be long). */
function labelRows(f: Flow, rows: readonly [string, string][]): void {
  const valueX = MARGIN + 100;
  for (const [label, value] of rows) {
    text(f, label, { x: MARGIN + 8, y: f.y - 10, size: 10 });
    text(f, fit(f, value, MARGIN + WIDTH - valueX, 10), { x: valueX, y: f.y - 10, size: 10 });
    f.y -= 17;
  }
  f.y -= 10;
}

function drawRun(f: Flow, s: MailingSummary): void {
  heading(f, '差出の内容', 6 * 17);
  labelRows(f, [
    ['差出名', s.run.name],
    ['様式', s.run.layout],
    ['宛先の単位', MAIL[s.run.mail]],
    ['並び順', SORT[s.run.sort]],
    ['封筒', s.run.envelope],
    ['作成日時', japanTime(s.run.createdAt)],
  ]);
}

/** Counts with their numbers right-aligned in one column, so the digits line up. */
function drawTotals(f: Flow, s: MailingSummary): void {
  const rows: [string, number, string][] = [
    ['通数（封筒）', s.envelopes, '通'],
    ['件数（印刷した記録）', s.records, '件'],
    ['枚数（用紙）', s.sheets, '枚'],
    ['バーコード付き', s.barcode.with, '通'],
    ['バーコードなし', s.barcode.without, '通'],
  ];
  heading(f, '合計', rows.length * 17);
  for (const [label, n, unit] of rows) {
    text(f, label, { x: MARGIN + 8, y: f.y - 10, size: 10 });
    text(f, count(n), { x: MARGIN + 240, y: f.y - 10, size: 10, align: 'right' });
    text(f, unit, { x: MARGIN + 244, y: f.y - 10, size: 10 });
    f.y -= 17;
  }
  f.y -= 10;
}

/** The count conditions only, as facts; the note says what the sender still has to confirm. */
function drawDiscounts(f: Flow, s: MailingSummary): void {
  const d = s.discounts;
  const rows = [
    [
      `バーコード付郵便物割引の通数条件（${count(BARCODE_DISCOUNT_PIECES)}通以上）`,
      d.barcodeDiscountCount,
      `バーコード付き ${count(d.barcodePieces)}通`,
    ],
    [
      `区分郵便物割引の通数条件（郵便番号順、${count(PRESORT_DISCOUNT_PIECES)}通以上）`,
      d.presortCount,
      `${SORT[s.run.sort]}、${count(s.envelopes)}通`,
    ],
  ] as const;
  heading(f, '割引の通数条件（日本郵便）', 3 * 17);
  for (const [label, meets, facts] of rows) {
    text(f, label, { x: MARGIN + 8, y: f.y - 10, size: 10 });
    text(f, meets ? '満たす' : '満たさない', { x: MARGIN + 290, y: f.y - 10, size: 10 });
    text(f, `（${facts}）`, { x: MARGIN + 345, y: f.y - 10, size: 8.5 });
    f.y -= 17;
  }
  text(f, DISCOUNT_NOTE, { x: MARGIN + 8, y: f.y - 8, size: 7.5 });
  f.y -= 26;
}

function sheetTable(s: MailingSummary): Table {
  return {
    title: '枚数別 通数',
    columns: [
      { header: '枚数', width: 60, align: 'right' },
      { header: '通数', width: 70, align: 'right' },
    ],
    groups: 1,
    rows: s.bySheets.map((r) => [`${count(r.sheets)}枚`, count(r.envelopes)]),
  };
}

function districtTable(s: MailingSummary): Table {
  const none = s.byDistrict.some((r) => r.district === NO_DISTRICT);
  return {
    title: '郵便区別 通数',
    columns: [
      { header: '郵便区', width: 40, align: 'left' },
      { header: '通数', width: 45, align: 'right' },
      { header: 'うちバーコード付き', width: 78, align: 'right' },
    ],
    groups: 3,
    rows: s.byDistrict.map((r) => [r.district === NO_DISTRICT ? 'なし' : r.district, count(r.envelopes), count(r.withBarcode)]),
    ...(none ? { note: '郵便区「なし」は郵便番号のない封筒です（バーコードは付けられません）。' } : {}),
  };
}

/**
 * A table in `groups` column groups side by side, filled top to bottom and then left to right, continued on
 * as many pages as it needs with its heading and column headers repeated; the last page's rows are spread
 * evenly over the groups.
 */
function drawTable(f: Flow, { title, columns, groups, rows, note }: Table): void {
  const groupWidth = columns.reduce((w, c) => w + c.width, 0);
  if (rows.length === 0) {
    heading(f, title, ROW);
    text(f, 'なし', { x: MARGIN + 8, y: f.y - 10, size: 9 });
    f.y -= ROW + 10;
    return;
  }
  let next = 0;
  while (next < rows.length) {
    heading(f, next === 0 ? title : `${title}（続き）`, 4 * ROW + 14);
    if (next === 0 && note) {
      text(f, note, { x: MARGIN + 8, y: f.y - 6, size: 7.5 });
      f.y -= 14;
    }
    const capacity = Math.floor((f.y - BOTTOM) / ROW) - 1; // one row for the column headers
    const perGroup = Math.min(capacity, Math.ceil((rows.length - next) / groups));
    for (let g = 0; g < groups && next < rows.length; g += 1) {
      const x = MARGIN + g * (groupWidth + GUTTER);
      drawGroup(f, columns, x, rows.slice(next, next + perGroup));
      next += perGroup;
    }
    f.y -= (perGroup + 1) * ROW + 14;
  }
}

/** One column group: shaded header cells apart by a hair, the rows banded every other one, a rule under the last. */
function drawGroup(f: Flow, columns: Column[], x: number, rows: string[][]): void {
  const page = f.page;
  const width = columns.reduce((w, c) => w + c.width, 0);
  let left = x;
  for (const c of columns) {
    page.drawRectangle({ x: left, y: f.y - ROW, width: c.width - 1, height: ROW, color: grayscale(0.85) });
    left += c.width;
  }
  const headers = columns.map((c) => c.header);
  cells(f, columns, headers, { x, y: f.y, size: 8 });
  rows.forEach((row, i) => {
    const top = f.y - (i + 1) * ROW;
    if (i % 2 === 1) page.drawRectangle({ x, y: top - ROW, width, height: ROW, color: grayscale(0.94) });
    cells(f, columns, row, { x, y: top, size: 9 });
  });
  rule(f, { x, y: f.y - (rows.length + 1) * ROW, width });
}

/** One row of cells from (x, y), their top left corner: left cells 4 pt in, right cells 4 pt short of their edge. */
function cells(f: Flow, columns: Column[], values: string[], { x, y, size }: At): void {
  let left = x;
  columns.forEach((c, i) => {
    const s = values[i] ?? '';
    if (c.align === 'right') text(f, s, { x: left + c.width - 4, y: y - ROW + 4, size, align: 'right' });
    else text(f, s, { x: left + 4, y: y - ROW + 4, size });
    left += c.width;
  });
}

/** Every page: what it is and which run, and "n / m" (known only once the last page is made). */
function drawFooters(f: Flow, runName: string): void {
  const total = f.pages.length;
  const label = fit(f, `${TITLE}\u3000${runName}`, WIDTH - 80, 8);
  f.pages.forEach((page, i) => {
    f.page = page;
    rule(f, { x: MARGIN, y: 44, width: WIDTH });
    text(f, label, { x: MARGIN, y: 32, size: 8 });
    text(f, `${i + 1} / ${total}`, { x: MARGIN + WIDTH, y: 32, size: 8, align: 'right' });
  });
}

/** `s` on one line (pdf-lib breaks lines at a newline), cut with "…" to `width` pt at `size`. */
function fit(f: Flow, text: string, width: number, size: number): string {
  const s = text.replace(/[\t\n\v\f\r]+/g, ' ');
  if (f.font.widthOfTextAtSize(s, size) <= width) return s;
  const chars = [...s];
  while (chars.length > 0 && f.font.widthOfTextAtSize(`${chars.join('')}…`, size) > width) chars.pop();
  return `${chars.join('')}…`;
}

/** A count with thousands separators, the same whatever the process's locale. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An ISO date and time as Japan's wall clock (UTC+9, no daylight saving), e.g. 2025年4月1日 9時05分. */
function japanTime(iso: string): string {
  const t = new Date(Date.parse(iso) + 9 * 3600_000);
  const mm = String(t.getUTCMinutes()).padStart(2, '0');
  return `${t.getUTCFullYear()}年${t.getUTCMonth() + 1}月${t.getUTCDate()}日 ${t.getUTCHours()}時${mm}分（日本時間）`;
}

/**
 * Six capital letters for the font subset's name, from the summary: the same summary gives the same tag (and
 * bytes), and summaries with different text, hence different subsets, never share one (PDF 32000-1, 9.6.4).
 */
function subsetTag(summary: MailingSummary): string {
  const digest = createHash('sha256').update(JSON.stringify(summary)).digest();
  return [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
}
