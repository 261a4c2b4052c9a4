// A registered run's 差出票 / 受領証 as printable A4 pages for the post office counter: 15 pieces a page, each
// page with the title, the kind, the sender and the page's rows; the last page adds the summary and an empty
// box for the 引受日付印. Set in BIZ UD Gothic (pdf-text.ts); the same list gives the same bytes (no dates,
// the fonts' subset tags from the list itself), as the mailing summary's PDF does.
import { grayscale, PDFDocument, type PDFPage } from 'pdf-lib';
import { PrintError } from '../errors.ts';
import type { ReceiptColumn } from '../insurers/profiles.ts';
import { drawRuns, embedFaces, fitCell, LEADING, textWidth, type CellRoom, type Faces, type FittedText } from './pdf-text.ts';
import { RECEIPT_HEADERS, receiptCell, weightClassLabel, type ReceiptList, type ReceiptRow } from './receipt-list.ts';

/** Pieces a page: what a clerk checks off against one stack of envelopes. */
export const RECEIPT_ROWS_PER_PAGE = 15;

/** The pages of a list of `pieces`. */
export function receiptPageCount(pieces: number): number {
  return Math.max(1, Math.ceil(pieces / RECEIPT_ROWS_PER_PAGE));
}

const PAGE: [number, number] = [595.28, 841.89]; // A4 portrait, pt
const MARGIN = 34;
const WIDTH = PAGE[0] - 2 * MARGIN;
const INK = grayscale(0);
const SHADE = grayscale(0.88);
// Every y below is from the page's top.
const HEADER_TOP = 88;
const HEADER_HEIGHT = 90;
const TABLE_TOP = HEADER_TOP + HEADER_HEIGHT + 14;
const HEAD_ROW = 20;
const ROW = 28;
const BOTTOM_TOP = TABLE_TOP + HEAD_ROW + RECEIPT_ROWS_PER_PAGE * ROW + 14;
const SERIAL_WIDTH = 30;
/** The 引受日付印 box with its caption, pt square: room for a 30 mm stamp. */
const STAMP = 150;
/** A name or an address is made smaller down to this; past it an address is cut with …, a name refused (never cut). */
export const RECEIPT_TEXT_FLOOR = 5;

type Align = 'left' | 'center' | 'right';

/** How a column is set: a fixed width or a share of what is left, its alignment, its largest and smallest size. */
const COLUMN: Record<ReceiptColumn | 'serial', Omit<CellRoom, 'width' | 'height'> & { width?: number; share?: number; align: Align }> = {
  serial: { width: SERIAL_WIDTH, align: 'right', max: 10, floor: 6 },
  number: { width: 98, align: 'center', max: 10.5, floor: 7 },
  postalCode: { width: 60, align: 'center', max: 10, floor: 7 },
  addressee: { share: 2, align: 'left', max: 10.5, floor: RECEIPT_TEXT_FLOOR },
  address: { share: 3, align: 'left', max: 9, floor: RECEIPT_TEXT_FLOOR, cut: true, oneLine: 0.9 },
  weight: { width: 88, align: 'left', max: 9.5, floor: 6 },
  sheets: { width: 38, align: 'right', max: 10, floor: 7 },
};

interface Column {
  id: ReceiptColumn | 'serial';
  header: string;
  x: number;
  width: number;
}

/** The list as A4 portrait pages, numbered `n / m`. */
export async function receiptListPdf(list: ReceiptList): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`${list.settings.title}（${list.label}）`);
  doc.setLanguage('ja-JP');
  doc.setProducer('shikaku-print');
  doc.setCreator('shikaku-print mailing receipts');
  const s = list.settings.sender;
  const texts = [list.settings.title, s.name, s.address ?? '', ...list.rows.flatMap((r) => [r.addressee, r.address])];
  const faces = await embedFaces(doc, texts, JSON.stringify(list));
  const columns = tableColumns(list.settings.columns);
  const pageCount = receiptPageCount(list.rows.length);
  for (let p = 0; p < pageCount; p += 1) {
    const sheet = new Sheet(doc.addPage(PAGE), faces);
    const rows = list.rows.slice(p * RECEIPT_ROWS_PER_PAGE, (p + 1) * RECEIPT_ROWS_PER_PAGE);
    drawHeading(sheet, list, `${p + 1} / ${pageCount}`);
    drawTable(sheet, columns, rows);
    if (p + 1 < pageCount) drawContinued(sheet, rows, list.rows.length);
    else drawSummary(sheet, list);
  }
  return doc.save();
}

/** A page to draw on, with y counted from its top. */
class Sheet {
  constructor(
    readonly page: PDFPage,
    readonly faces: Faces,
  ) {}

  /** Text with its baseline `y` from the top; `align` says which of its ends (or its middle) is at x. */
  text(s: string, x: number, y: number, size: number, { align = 'left', bold = false }: { align?: Align; bold?: boolean } = {}): void {
    const w = textWidth(this.faces, s, size, bold);
    const left = align === 'left' ? x : align === 'right' ? x - w : x - w / 2;
    drawRuns(this.page, this.faces, s, { x: left, y: PAGE[1] - y, size, color: INK, bold });
  }

  box(x: number, y: number, width: number, height: number, { fill = false, border = 0.6 }: { fill?: boolean; border?: number } = {}): void {
    this.page.drawRectangle({
      x,
      y: PAGE[1] - y - height,
      width,
      height,
      ...(fill ? { color: SHADE } : {}),
      ...(border > 0 ? { borderColor: INK, borderWidth: border } : {}),
    });
  }

  line(x1: number, y1: number, x2: number, y2: number, thickness = 0.5): void {
    this.page.drawLine({ start: { x: x1, y: PAGE[1] - y1 }, end: { x: x2, y: PAGE[1] - y2 }, thickness, color: INK });
  }

  /** `text` fitted into the cell whose top left is (x, y), `pad` in from its sides, centred vertically. */
  cell(text: string, x: number, y: number, room: Omit<CellRoom, 'width'> & { width: number; align: Align; pad?: number }): void {
    const pad = room.pad ?? 4;
    const t: FittedText = fitCell(this.faces, text, { ...room, width: room.width - 2 * pad });
    const leading = t.size * LEADING;
    const top = y + (room.height - leading * t.lines.length) / 2;
    const at = room.align === 'left' ? x + pad : room.align === 'right' ? x + room.width - pad : x + room.width / 2;
    // The baseline sits 0.88 em below the top of its line box (BIZ UD Gothic's ascent), plus half the leading.
    t.lines.forEach((line, i) =>
      this.text(line, at, top + leading * i + t.size * (0.88 + (LEADING - 1) / 2), t.size, { align: room.align, bold: room.bold ?? false }),
    );
  }
}

/** The 通番 column, then the profile's columns: fixed widths as set, the rest of the width shared out. */
function tableColumns(ids: readonly ReceiptColumn[]): Column[] {
  const fixed = ids.reduce((w, id) => w + (COLUMN[id].width ?? 0), 0);
  const shares = ids.reduce((n, id) => n + (COLUMN[id].share ?? 0), 0);
  // Without a column to take what is left, the fixed columns widen in proportion.
  const stretch = shares === 0 ? (WIDTH - SERIAL_WIDTH) / fixed : 1;
  const free = WIDTH - SERIAL_WIDTH - fixed;
  const out: Column[] = [{ id: 'serial', header: '通番', x: MARGIN, width: SERIAL_WIDTH }];
  let x = MARGIN + SERIAL_WIDTH;
  for (const id of ids) {
    const c = COLUMN[id];
    const width = c.width !== undefined ? c.width * stretch : (free * (c.share ?? 0)) / shares;
    out.push({ id, header: RECEIPT_HEADERS[id], x, width });
    x += width;
  }
  return out;
}

/** Title, page number, the sender's block and the run's block (kind, pieces, the date the clerk writes in). */
function drawHeading(s: Sheet, list: ReceiptList, pageNumber: string): void {
  const { title, sender } = list.settings;
  s.text(pageNumber, MARGIN + WIDTH, MARGIN + 8, 9, { align: 'right' });
  s.cell(title, MARGIN + 60, MARGIN + 16, { width: WIDTH - 120, height: 26, max: 18, floor: 10, lines: 1, align: 'center', bold: true });
  s.line(MARGIN, MARGIN + 46, MARGIN + WIDTH, MARGIN + 46, 1.6);
  s.line(MARGIN, MARGIN + 49, MARGIN + WIDTH, MARGIN + 49, 0.5);

  // The sender: a shaded label down its left side, then name, 〒 and address, telephone.
  const senderWidth = 316;
  const inner = senderWidth - 22 - 16;
  s.box(MARGIN, HEADER_TOP, 22, HEADER_HEIGHT, { fill: true });
  [...'差出人'].forEach((c, i) => s.text(c, MARGIN + 11, HEADER_TOP + 32 + i * 15, 10, { align: 'center', bold: true }));
  s.box(MARGIN + 22, HEADER_TOP, senderWidth - 22, HEADER_HEIGHT);
  s.cell(sender.name, MARGIN + 30, HEADER_TOP + 5, { width: inner, height: 30, max: 13, floor: 6, lines: 2, align: 'left', pad: 0 });
  const place = [sender.postalCode ? `〒${sender.postalCode}` : '', sender.address ?? ''].filter(Boolean).join('\u3000');
  if (place) s.cell(place, MARGIN + 30, HEADER_TOP + 37, { width: inner, height: 28, max: 9.5, floor: 5, lines: 2, align: 'left', pad: 0 });
  if (sender.telephone) s.text(`電話 ${sender.telephone}`, MARGIN + 30, HEADER_TOP + 80, 9.5);

  // The run: its kind, its pieces, and the date the counter writes in.
  const x = MARGIN + senderWidth + 12;
  const width = MARGIN + WIDTH - x;
  const rowHeight = HEADER_HEIGHT / 3;
  const rows: [string, string, number][] = [
    ['種類', list.label, 13],
    ['差出通数', `${count(list.summary.pieces)} 通`, 11],
    ['差出年月日', '令和\u3000\u3000年\u3000\u3000月\u3000\u3000日', 10],
  ];
  rows.forEach(([label, value, size], i) => {
    const y = HEADER_TOP + i * rowHeight;
    s.box(x, y, 64, rowHeight, { fill: true });
    s.box(x + 64, y, width - 64, rowHeight);
    s.text(label, x + 32, y + 19, 9, { align: 'center', bold: true });
    s.text(value, x + 74, y + rowHeight / 2 + size * 0.38, size, { bold: i === 0 });
  });
  s.box(x, HEADER_TOP, width, HEADER_HEIGHT, { border: 1.2 });
  s.box(MARGIN, HEADER_TOP, senderWidth, HEADER_HEIGHT, { border: 1.2 });
}

/** The table: the page's rows, ruled for 15 whatever their count, as a printed form is. */
function drawTable(s: Sheet, columns: Column[], rows: ReceiptRow[]): void {
  const height = HEAD_ROW + RECEIPT_ROWS_PER_PAGE * ROW;
  s.box(MARGIN, TABLE_TOP, WIDTH, HEAD_ROW, { fill: true, border: 0 });
  for (const c of columns)
    s.cell(c.header, c.x, TABLE_TOP, { width: c.width, height: HEAD_ROW, max: 9, floor: 5, lines: 1, align: 'center', pad: 2, bold: true });
  for (let i = 1; i < RECEIPT_ROWS_PER_PAGE; i += 1) {
    const y = TABLE_TOP + HEAD_ROW + i * ROW;
    s.line(MARGIN, y, MARGIN + WIDTH, y, i % 5 === 0 ? 0.8 : 0.4); // a firmer rule every five rows, for counting
  }
  s.line(MARGIN, TABLE_TOP + HEAD_ROW, MARGIN + WIDTH, TABLE_TOP + HEAD_ROW, 0.9);
  for (const c of columns.slice(1)) s.line(c.x, TABLE_TOP, c.x, TABLE_TOP + height, 0.5);
  s.box(MARGIN, TABLE_TOP, WIDTH, height, { border: 1.2 });
  // After the last piece, 以下余白 (nothing below), as a form that must not be added to by hand.
  const next = columns[1];
  if (rows.length < RECEIPT_ROWS_PER_PAGE && next)
    s.text('以下余白', next.x + next.width / 2, TABLE_TOP + HEAD_ROW + rows.length * ROW + 18, 9, { align: 'center' });
  rows.forEach((row, i) => {
    const top = TABLE_TOP + HEAD_ROW + i * ROW;
    for (const c of columns) {
      const set = COLUMN[c.id];
      const value = c.id === 'serial' ? String(row.serial) : receiptCell(row, c.id);
      try {
        s.cell(value, c.x, top, { ...set, width: c.width, height: ROW - 2 });
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        throw new PrintError(
          'INVALID_INPUT',
          `envelope ${row.envelope}: its ${c.header} ${err.message}: leave a column out of the list (receipts.columns in the insurer profile) to widen it`,
        );
      }
    }
  });
}

/** Under the table of a page that is not the last: its pieces, and that the list goes on. */
function drawContinued(s: Sheet, rows: ReceiptRow[], total: number): void {
  const first = rows[0]?.serial ?? 0;
  const last = rows.at(-1)?.serial ?? 0;
  s.text(`この頁 通番 ${first}〜${last}（${rows.length} 通）／ 全 ${count(total)} 通\u3000次頁に続く`, MARGIN + WIDTH, BOTTOM_TOP + 10, 9, {
    align: 'right',
  });
}

/** The last page's summary (number range, pieces per weight class, total) beside the empty stamp box. */
function drawSummary(s: Sheet, list: ReceiptList): void {
  const width = WIDTH - STAMP - 16;
  const { first, last, byWeight, pieces } = list.summary;
  const valueX = MARGIN + 104;
  s.box(MARGIN, BOTTOM_TOP, width, 18, { fill: true });
  s.text('差出の内容（合計）', MARGIN + 8, BOTTOM_TOP + 13, 9.5, { bold: true });
  s.text('お問い合わせ番号', MARGIN + 8, BOTTOM_TOP + 38, 9);
  s.text(`${first} 〜 ${last}`, valueX, BOTTOM_TOP + 38, 10.5);
  s.text('重量区分別の通数', MARGIN + 8, BOTTOM_TOP + 60, 9);
  byWeight.forEach(({ weight, pieces: n }, i) => {
    const x = valueX + (i >= 4 ? 132 : 0);
    const y = BOTTOM_TOP + 60 + (i % 4) * 15;
    s.text(weightClassLabel(weight), x, y, 9.5);
    s.text(`${count(n)} 通`, x + 116, y, 9.5, { align: 'right' });
  });
  s.line(MARGIN, BOTTOM_TOP + STAMP - 28, MARGIN + width, BOTTOM_TOP + STAMP - 28, 0.5);
  s.text('合計', MARGIN + 8, BOTTOM_TOP + STAMP - 9, 10.5, { bold: true });
  s.text(`${count(pieces)} 通`, valueX, BOTTOM_TOP + STAMP - 9, 13, { bold: true });
  s.box(MARGIN, BOTTOM_TOP, width, STAMP, { border: 1.2 });

  const x = MARGIN + WIDTH - STAMP;
  s.box(x, BOTTOM_TOP, STAMP, 18, { fill: true });
  s.text('引受日付印（受領印）', x + STAMP / 2, BOTTOM_TOP + 13, 9, { align: 'center', bold: true });
  s.box(x, BOTTOM_TOP, STAMP, STAMP, { border: 1.2 });
  s.text('上記の郵便物を引き受けました。', MARGIN + WIDTH, BOTTOM_TOP + STAMP + 14, 8, { align: 'right' });
}

/** A count with thousands separators, the same whatever the process's locale. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
