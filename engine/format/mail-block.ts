// The 宛名 block in the form a template prints (layouts/_shared/address-block.hbs): the address with its
// numbers kept whole, and the カスタマバーコード as an inline SVG of vector rectangles at Japan Post's
// exact sizes (engine/mail/customer-barcode.ts), which Chromium prints as PDF rectangles.
import type { AddressBlock, AddressPiece } from '../mail/address-block.ts';
import { fontForText, type GlyphCoverage } from '../fonts/glyph-coverage.ts';
import { TrustedHtml } from './qr-code.ts';

/** What a template sees of a 宛名 block. */
export interface MailValues {
  /** 123-4567 (the template prints 〒 before it). */
  postalCode: string;
  /** The address, numbers in unbreakable spans, escaped. */
  address: TrustedHtml;
  addressee: TrustedHtml;
  honorific: string;
  barcode: TrustedHtml | null;
  /** Registered and recorded mail: the kind (簡易書留), the number as printed and its NW-7 bars as an SVG. */
  registered: { label: string; number: string; barcode: TrustedHtml } | null;
  /** The block's place on the sheet, as CSS (left, top, width, height in mm). */
  style: string;
  /** Right of this and below this (mm) the window cannot show the sheet (AddressBlock.clear). */
  clearLeftMm: number;
  clearTopMm: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
const mm = (n: number) => `${Number(n.toFixed(4))}`;

/** Text set wholly in IPAmj Mincho when only that face draws one of its characters (as print-values does). */
function face(text: string, coverage: GlyphCoverage, html: string): string {
  const verdict = fontForText(text, coverage);
  return 'font' in verdict && verdict.font === 'mj' ? `<span class="glyph-mj">${html}</span>` : html;
}

/** The barcode's bars as one SVG in mm: black rectangles, nothing else (the 2 mm around it is the block's). */
function barcodeSvg(block: AddressBlock): TrustedHtml | null {
  const b = block.barcode;
  if (!b) return null;
  const rects = b.bars.map((r) => `<rect x="${mm(r.x)}" y="${mm(r.y)}" width="${mm(r.width)}" height="${mm(r.height)}"/>`).join('');
  return new TrustedHtml(
    `<svg class="customer-barcode" xmlns="http://www.w3.org/2000/svg" width="${mm(b.widthMm)}mm" height="${mm(b.heightMm)}mm" viewBox="0 0 ${mm(b.widthMm)} ${mm(b.heightMm)}" data-barcode="${escape(b.data)}">${rects}</svg>`,
  );
}

/** The NW-7 bars of a registered piece as one SVG in mm, black rectangles (data-barcode: what they hold). */
function registeredSvg(block: AddressBlock): MailValues['registered'] {
  const r = block.registered;
  if (!r) return null;
  const { bars, widthMm, heightMm, data } = r.barcode;
  const rects = bars.map((b) => `<rect x="${mm(b.x)}" y="0" width="${mm(b.width)}" height="${mm(heightMm)}"/>`).join('');
  const svg = `<svg class="registered-barcode" xmlns="http://www.w3.org/2000/svg" width="${mm(widthMm)}mm" height="${mm(heightMm)}mm" viewBox="0 0 ${mm(widthMm)} ${mm(heightMm)}" data-barcode="${escape(data)}">${rects}</svg>`;
  return { label: r.label, number: r.number, barcode: new TrustedHtml(svg) };
}

/** The print values of a 宛名 block. */
export function mailValues(block: AddressBlock, coverage: GlyphCoverage): MailValues {
  const line = (pieces: AddressPiece[]) =>
    pieces.map((p) => (p.number ? `<span class="nobr">${escape(p.text)}</span>` : escape(p.text))).join('');
  const address = block.address.map(line).join('<br>');
  const plainAddress = block.address
    .flat()
    .map((p) => p.text)
    .join('');
  const { x, y, width, height } = block.area;
  return {
    postalCode: block.postalCode,
    address: new TrustedHtml(face(plainAddress, coverage, address)),
    addressee: new TrustedHtml(face(block.addressee, coverage, escape(block.addressee))),
    honorific: block.honorific,
    barcode: barcodeSvg(block),
    registered: registeredSvg(block),
    style: `left:${mm(x)}mm;top:${mm(y)}mm;width:${mm(width)}mm;height:${mm(height)}mm`,
    clearLeftMm: Number(block.clear.leftMm.toFixed(2)),
    clearTopMm: Number(block.clear.topMm.toFixed(2)),
  };
}
