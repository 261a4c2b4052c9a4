import { PrintError } from '../errors.ts';

/** A press sheet, in mm, portrait. */
export interface SheetSize {
  name: string;
  widthMm: number;
  heightMm: number;
}

/** The named sheets of `--impose` (docs/spec/interfaces.md); any other is given as WxH in mm. */
export const SHEETS: Record<string, [number, number]> = { a4: [210, 297], a3: [297, 420], sra3: [320, 450], sra4: [225, 320] };

/** Bleed around each imposed page: the print trade's 3 mm. */
export const SHEET_BLEED_MM = 3;
/** Crop marks: how far they reach out from the bleed edge, and their line width (0.1 mm). */
export const MARK_LENGTH_MM = 8;
export const MARK_WIDTH_MM = 0.1;
/** Room kept outside the marks: the slug (file, sheet, side, records, barcode) lives below the bottom marks. */
export const MARGIN_MM = { side: MARK_LENGTH_MM + 2, top: MARK_LENGTH_MM + 2, bottom: MARK_LENGTH_MM + 2 + 9 };

/** Reads `a4`, `a3`, `sra3`, `sra4` or `WxH` (mm, e.g. 330x488). */
export function parseSheet(value: string): SheetSize {
  const named = SHEETS[value.toLowerCase()];
  if (named) return { name: value.toLowerCase(), widthMm: named[0], heightMm: named[1] };
  const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/i.exec(value);
  if (m && Number(m[1]) >= 50 && Number(m[2]) >= 50 && Number(m[1]) <= 2000 && Number(m[2]) <= 2000) {
    return { name: `${m[1]}x${m[2]}`, widthMm: Number(m[1]), heightMm: Number(m[2]) };
  }
  throw new PrintError('INVALID_INPUT', `impose expects a4, a3, sra3, sra4 or WxH in mm (50 to 2000, e.g. 330x488), not "${value}"`);
}

/** A slot's trim rectangle on its sheet, mm from the sheet's top-left corner; rotated slots hold the page turned 90°. */
export interface SlotRect {
  x: number;
  y: number;
  width: number;
  height: number;
  rotated: boolean;
}

/** Where pages go on a sheet: the grid that fits most of them with their bleed and the marks. */
export interface SheetPlan {
  sheet: SheetSize;
  page: { widthMm: number; heightMm: number };
  bleedMm: number;
  cols: number;
  rows: number;
  rotated: boolean;
  /** Slots per sheet side. */
  perSheet: number;
  /** Front slots, row by row from the top-left. */
  slots: SlotRect[];
  /** The cut positions, mm from the sheet's left (xs) and top (ys): where the crop marks point. */
  cutsX: number[];
  cutsY: number[];
  /** The grid with its bleed: marks stay outside it. */
  grid: { x: number; y: number; width: number; height: number };
}

/**
 * Fits pages of `page` size, each with `bleedMm` around it, on `sheet` inside the margins the marks and
 * the slug need; turned 90° when that fits more. The grid is centred between the margins. Throws when
 * not even one page fits.
 */
export function planSheet(sheet: SheetSize, page: { widthMm: number; heightMm: number }, bleedMm = SHEET_BLEED_MM): SheetPlan {
  const availW = sheet.widthMm - 2 * MARGIN_MM.side;
  const availH = sheet.heightMm - MARGIN_MM.top - MARGIN_MM.bottom;
  const fit = (w: number, h: number) => ({ cols: Math.floor(availW / (w + 2 * bleedMm)), rows: Math.floor(availH / (h + 2 * bleedMm)) });
  const upright = fit(page.widthMm, page.heightMm);
  const turned = fit(page.heightMm, page.widthMm);
  const rotated = turned.cols * turned.rows > upright.cols * upright.rows;
  const { cols, rows } = rotated ? turned : upright;
  if (cols < 1 || rows < 1) {
    throw new PrintError(
      'INVALID_INPUT',
      `a ${page.widthMm} × ${page.heightMm} mm page with ${bleedMm} mm bleed, crop marks and slug does not fit a ${sheet.widthMm} × ${sheet.heightMm} mm sheet: choose a larger sheet`,
    );
  }
  const w = rotated ? page.heightMm : page.widthMm;
  const h = rotated ? page.widthMm : page.heightMm;
  const cellW = w + 2 * bleedMm;
  const cellH = h + 2 * bleedMm;
  const gridX = MARGIN_MM.side + (availW - cols * cellW) / 2;
  const gridY = MARGIN_MM.top + (availH - rows * cellH) / 2;
  const slots: SlotRect[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      slots.push({ x: gridX + c * cellW + bleedMm, y: gridY + r * cellH + bleedMm, width: w, height: h, rotated });
  }
  const cutsX = [...new Set(slots.flatMap((s) => [s.x, s.x + s.width]).map((v) => round(v)))].sort((a, b) => a - b);
  const cutsY = [...new Set(slots.flatMap((s) => [s.y, s.y + s.height]).map((v) => round(v)))].sort((a, b) => a - b);
  return {
    sheet,
    page,
    bleedMm,
    cols,
    rows,
    rotated,
    perSheet: cols * rows,
    slots,
    cutsX,
    cutsY,
    grid: { x: gridX, y: gridY, width: cols * cellW, height: rows * cellH },
  };
}

/** How the sheet is turned over for its back: about its long edge (left–right mirror) or its short edge (top–bottom). */
export type Duplex = 'long' | 'short';

/**
 * A front slot's place on the back of the sheet, so that the back lands exactly behind the front once
 * the sheet is turned over: mirrored left–right for a long-edge flip, top–bottom for a short-edge flip.
 */
export function backSlot(plan: SheetPlan, slot: number, duplex: Duplex): SlotRect {
  const s = plan.slots[slot] as SlotRect;
  return duplex === 'long'
    ? { ...s, x: round(plan.sheet.widthMm - s.x - s.width) }
    : { ...s, y: round(plan.sheet.heightMm - s.y - s.height) };
}

/** The order records fill the slots: row by row, sheet by sheet; or so that cut stacks piled in slot order come out in input order. */
export type SlotOrder = 'sequential' | 'cut-stack';

/** Sheet (0-based) and slot of the record at 0-based position `i` of `n`. */
export function placeOf(i: number, n: number, perSheet: number, order: SlotOrder): { sheet: number; slot: number } {
  if (order === 'sequential') return { sheet: Math.floor(i / perSheet), slot: i % perSheet };
  const sheets = Math.ceil(n / perSheet);
  return { sheet: i % sheets, slot: Math.floor(i / sheets) };
}

/**
 * The records of each sheet in slot order: what imposition prints, sheet after sheet. A slot with no record
 * (the last sheet of a run that does not fill it, or any sheet in cut-stack order) is -1.
 */
export function sheetsOf(n: number, perSheet: number, order: SlotOrder): number[][] {
  const sheets = Array.from({ length: Math.ceil(n / perSheet) }, () => new Array<number>(perSheet).fill(-1));
  for (let i = 0; i < n; i++) {
    const { sheet, slot } = placeOf(i, n, perSheet, order);
    (sheets[sheet] as number[])[slot] = i;
  }
  return sheets;
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
