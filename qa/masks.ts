// The proof diff's masks: regions a reviewer tells it to ignore (`--mask PAGE:X,Y,W,H`).
import type { PageImage } from './proofs.ts';

/** A region to ignore, in millimetres from the page's top-left corner; page null means every page. */
export interface Mask {
  page: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Parses `PAGE:X,Y,W,H` (millimetres; PAGE a number from 1, or * for every page). */
export function parseMask(text: string): Mask {
  const m = /^(\d+|\*):([\d.]+),([\d.]+),([\d.]+),([\d.]+)$/.exec(text);
  if (!m) throw new Error(`--mask expects PAGE:X,Y,W,H in millimetres (PAGE a number or *), received "${text}"`);
  return { page: m[1] === '*' ? null : Number(m[1]), x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[5]) };
}

/** Paints the masks of a page white (in place). */
export function applyMasks(img: PageImage, masks: readonly Mask[], page: number, dpi: number): void {
  const px = dpi / 25.4;
  for (const m of masks) {
    if (m.page !== null && m.page !== page) continue;
    const x0 = Math.max(0, Math.floor(m.x * px));
    const x1 = Math.min(img.width, Math.ceil((m.x + m.width) * px));
    for (let y = Math.max(0, Math.floor(m.y * px)); y < Math.min(img.height, Math.ceil((m.y + m.height) * px)); y++)
      img.data.fill(255, (y * img.width + x0) * 3, (y * img.width + x1) * 3);
  }
}
