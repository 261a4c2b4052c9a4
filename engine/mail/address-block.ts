// What the 宛名 block of one piece of mail prints, as data: 〒 and postal code, the address in pieces that
// may and may not be broken, the addressee with 様 or 御中, and the カスタマバーコード's bars, or the reason
// it has none. engine/format turns it into HTML; the layouts place it (layouts/_shared/address-block.hbs).
import { addressCodes } from './address-codes.ts';
import { barKinds, barRects, BAR_SIZES_10PT, type BarRect } from './customer-barcode.ts';
import { barcodePointsFor, blockArea, windowOnSheet, type Envelope, type RectMm } from './envelopes.ts';
import { formatInquiry, type InquiryNumber } from '../records/inquiry-number.ts';
import { REGISTERED_KINDS, type RegisteredKind } from './number-band.ts';
import { nw7Barcode, type Nw7Barcode } from './registered-barcode.ts';

/** A piece of the address: a number (digits and the hyphens between them) is never split across lines. */
export interface AddressPiece {
  text: string;
  number: boolean;
}

/** The bars of a block's barcode at the size its window allows. */
export interface BlockBarcode {
  /** As the manifest gives it: `POSTAL NUMBER CD` (interfaces.md, Mailing). */
  data: string;
  points: number;
  widthMm: number;
  heightMm: number;
  bars: BarRect[];
}

/** One 宛名 block. */
export interface AddressBlock {
  /** 123-4567. */
  postalCode: string;
  /** The address in one or two lines (the building after the first blank on the second), each in pieces. */
  address: AddressPiece[][];
  addressee: string;
  honorific: '様' | '御中';
  barcode: BlockBarcode | null;
  /** Why there is no barcode (manifest, never a log). */
  reason: string | null;
  /** Registered and recorded mail: the kind as printed, the お問い合わせ番号 (XXX-XX-XXXXX-X) and its NW-7 bars. */
  registered: { label: string; number: string; barcode: Nw7Barcode } | null;
  /** Where the block stands on the sheet (the window minus 2 mm and the play). */
  area: RectMm;
  /**
   * Where the window can no longer show the sheet, at any position of the insert (1 mm more): what is
   * right of `leftMm` or below `topMm` stays inside the envelope. A document puts nothing personal but
   * the block above `topMm` and left of `leftMm`.
   */
  clear: { leftMm: number; topMm: number };
}

/** Who the block addresses: a person (様) or an employer's office (御中). */
export interface Addressee {
  postalCode: string;
  address: string;
  name: string;
  honorific: '様' | '御中';
}

const NUMBER_RUN = /([0-9０-９]+(?:[-－‐−ー][0-9０-９]+)*)/u;

/**
 * The address as lines of pieces: the street on the first line, what follows its first blank (the
 * building, the room) on the second, and numbers whole (今市町70番地 → 今市町, 70, 番地). A line too long
 * for the block is narrowed, then wrapped between words, by the page's fitting (fit-fields.ts).
 */
export function addressLines(address: string): AddressPiece[][] {
  const text = address.trim().replace(/[\s\u3000]+/gu, ' ');
  const blank = text.indexOf(' ');
  const lines = blank < 0 ? [text] : [text.slice(0, blank), text.slice(blank + 1)];
  return lines.map(addressPieces);
}

/** A line of the address in pieces, numbers whole. */
export function addressPieces(address: string): AddressPiece[] {
  return address
    .split(NUMBER_RUN)
    .filter((t) => t !== '')
    .map((text) => ({ text, number: NUMBER_RUN.test(text) && text.replace(NUMBER_RUN, '') === '' }));
}

/** The barcode of an address at the size that fits `widthMm`, or the reason it gets none. */
export function blockBarcode(postalCode: string, address: string, widthMm: number): { barcode: BlockBarcode } | { reason: string } {
  const codes = addressCodes({ postalCode, mailingAddress: address });
  if ('reason' in codes) return { reason: codes.reason };
  const points = barcodePointsFor(widthMm);
  const bars = barRects(barKinds(codes.chars), points);
  const last = bars.at(-1) as BarRect;
  return {
    barcode: {
      data: `${codes.postal} ${codes.number} ${codes.check}`,
      points,
      widthMm: last.x + last.width,
      heightMm: BAR_SIZES_10PT.long.size * (points / 10),
      bars,
    },
  };
}

/** What a registered piece prints under its 宛名. */
export interface RegisteredPiece {
  kind: RegisteredKind;
  number: InquiryNumber;
}

/**
 * The height a 宛名 block needs to print a registered piece's line under the カスタマバーコード
 * (address-block.css): 〒 4.6, two address lines 10, the name 1 + 6.6, the bars 2 + 3.6 at most (10 pt),
 * the NW-7 line 2 (the bars' clear zone) + 4.5; 34.3 mm, and 0.2 mm to spare.
 */
export const REGISTERED_BLOCK_MIN_HEIGHT_MM = 34.5;

/** The 宛名 block for `to`, placed for `envelope`; a registered piece's number under it. */
export function addressBlock(to: Addressee, envelope: Envelope, registered?: RegisteredPiece): AddressBlock {
  const area = onPixelGrid(blockArea(envelope));
  const code = blockBarcode(to.postalCode, to.address, area.width);
  return {
    postalCode: `${to.postalCode.slice(0, 3)}-${to.postalCode.slice(3)}`,
    address: addressLines(to.address),
    addressee: to.name,
    honorific: to.honorific,
    barcode: 'barcode' in code ? code.barcode : null,
    reason: 'reason' in code ? code.reason : null,
    registered: registered
      ? { label: REGISTERED_KINDS[registered.kind], number: formatInquiry(registered.number), barcode: nw7Barcode(registered.number) }
      : null,
    area,
    clear: clearOfWindow(envelope),
  };
}

/** One CSS pixel in mm: Chromium puts an inline SVG (the bars) on whole pixels, the text not. */
const CSS_PX_MM = 25.4 / 96;

/**
 * The area with its top-left corner moved inward to whole CSS pixels, so that the bars Chromium snaps to
 * the pixel grid stay inside it (it moved them 0.07 mm left of an area starting at 26 mm, past the
 * window's 2 mm); the right and bottom edges stay.
 */
function onPixelGrid(area: RectMm): RectMm {
  const x = Math.ceil(area.x / CSS_PX_MM - 1e-9) * CSS_PX_MM;
  const y = Math.ceil(area.y / CSS_PX_MM - 1e-9) * CSS_PX_MM;
  return { x, y, width: area.x + area.width - x, height: area.y + area.height - y };
}

function clearOfWindow(envelope: Envelope): AddressBlock['clear'] {
  const w = windowOnSheet(envelope);
  return { leftMm: w.x + w.width + envelope.playMm.x + 1, topMm: w.y + w.height + envelope.playMm.y + 1 };
}
