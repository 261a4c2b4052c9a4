// The insertion matching code drawn on a printed page: a DataMatrix in vector squares, black on a white
// quiet zone, where the page's layout declares it (layout.json matchingCode).
import { rgb, type PDFPage } from 'pdf-lib';
import { dataMatrix, MODULE_MM, QUIET_MODULES } from '../mail/matching-code.ts';
import { mmToPt } from '../pdf/pdf-writer.ts';

/** Draws `code` with its quiet zone's top-left at `at` (mm from the page's top-left). */
export function drawCodeMark(page: PDFPage, code: string, at: { xMm: number; yMm: number }, pageHeightMm: number): void {
  const symbol = dataMatrix(code);
  const module = mmToPt(MODULE_MM);
  const side = (n: number) => (n + 2 * QUIET_MODULES) * module;
  const left = mmToPt(at.xMm);
  const top = mmToPt(pageHeightMm - at.yMm);
  page.drawRectangle({ x: left, y: top - side(symbol.rows), width: side(symbol.columns), height: side(symbol.rows), color: rgb(1, 1, 1) });
  // One path of unit squares, in modules; pdf-lib puts its origin at (x, y) with y downwards.
  const squares: string[] = [];
  for (let r = 0; r < symbol.rows; r++) {
    for (let c = 0; c < symbol.columns; c++) if (symbol.dark(c, r)) squares.push(`M${c + QUIET_MODULES} ${r + QUIET_MODULES}h1v1h-1z`);
  }
  page.drawSvgPath(squares.join(''), { x: left, y: top, scale: module, color: rgb(0, 0, 0) });
}
