// The NW-7 (Codabar) barcode of an お問い合わせ番号, printed under the 宛名 of registered and recorded mail
// (docs/spec/interfaces.md, Mailing; docs/spec/mailing.md, "Registered and recorded mail"): the 11 digits
// between start and stop `A`, encoded by bwip-js (rationalized Codabar, wide bars 3 × narrow) and drawn
// by the caller as rectangles in mm, as the カスタマバーコード is.
import bwipjs from 'bwip-js';
import type { InquiryNumber } from '../records/inquiry-number.ts';

/** The narrow bar and space: 0.254 mm (3 dots at 300 dpi), well above what a postal scanner reads. */
export const NW7_NARROW_MM = 0.254;
/** The bars' height: what the 宛名 block has left below the カスタマバーコード and its 2 mm clear zone (address-block.ts). */
export const NW7_HEIGHT_MM = 4.5;
/** Start and stop character. */
const GUARD = 'A';

/** A bar of the barcode, in mm from its left edge. */
export interface Nw7Bar {
  x: number;
  width: number;
}

export interface Nw7Barcode {
  /** What the barcode holds: start, the 11 digits, stop. */
  data: string;
  bars: Nw7Bar[];
  widthMm: number;
  heightMm: number;
}

/** The NW-7 barcode of an お問い合わせ番号. */
export function nw7Barcode(number: InquiryNumber): Nw7Barcode {
  const data = `${GUARD}${number}${GUARD}`;
  const [symbol] = bwipjs.raw('rationalizedCodabar', data, '') as { sbs: number[] }[];
  if (!symbol) throw new Error(`bwip-js encoded nothing for ${data}`);
  // sbs: the widths in modules of bar, space, bar, … from the left.
  const bars: Nw7Bar[] = [];
  let x = 0;
  symbol.sbs.forEach((w, i) => {
    if (i % 2 === 0) bars.push({ x: x * NW7_NARROW_MM, width: w * NW7_NARROW_MM });
    x += w;
  });
  return { data, bars, widthMm: x * NW7_NARROW_MM, heightMm: NW7_HEIGHT_MM };
}
