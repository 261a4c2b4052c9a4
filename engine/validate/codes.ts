import QRCode from 'qrcode';
import type { InsuranceRecord } from '../records/schema.ts';
import { cardCodeText, DEFAULT_CARD_CODE } from '../insurers/profiles.ts';

// What a record's codes say and how big they print: what validation checks fits, and what the format
// stage draws (format/qr-code.ts).

/** The My Number portal, the QR code's target when a record names none (docs/spec/records.md). */
export const DEFAULT_PORTAL_URL = 'https://myna.go.jp/';

/** The text of a record's 二次元コード: its profile's template, or the documented default. */
export function cardCodeOf(r: InsuranceRecord, template: string = DEFAULT_CARD_CODE): string {
  return cardCodeText(template, {
    insurerNumber: r.insurerNumber ?? '',
    symbol: r.symbol ?? '',
    number: r.number ?? '',
    branch: r.branch ?? '',
  });
}

/** Module (dot) size of the printed QR code: at least 0.4 mm reads reliably from paper with a phone. */
export const QR_MODULE_MM = 0.7;
/** Quiet zone around the code, in modules, as ISO/IEC 18004 asks. */
export const QR_QUIET_MODULES = 4;

/** How a QR code is printed: a fixed module size, or a fixed size (quiet zone included) its modules fill. */
export type QrSize = { moduleMm: number } | { sizeMm: number; minModuleMm: number };

/** The portal QR code on notices: big modules, read from paper by any phone. */
export const PORTAL_QR: QrSize = { moduleMm: QR_MODULE_MM };
/**
 * The 二次元コード of a card: its box is 13 mm with the quiet zone, and a module may not shrink under
 * 0.33 mm (2 pixels at 150 dpi, the least a counter's scanner or a proof can resolve).
 */
export const CARD_CODE_QR: QrSize = { sizeMm: 13, minModuleMm: 0.33 };

/** The portal QR code on a card-size notice: a 17 mm box, modules no finer than 0.33 mm. */
export const CARD_PORTAL_QR: QrSize = { sizeMm: 17, minModuleMm: 0.33 };

/** How a layout of this page width prints the portal QR code: A4 notices at 0.7 mm, cards in their box. */
export function portalQrSize(pageWidthMm: number): QrSize {
  return pageWidthMm < 100 ? CARD_PORTAL_QR : PORTAL_QR;
}

/** Whether `text` fits `size` with modules no finer than it allows. */
export function qrFits(text: string, size: QrSize): boolean {
  return !('minModuleMm' in size) || qrModuleMm(text, size) >= size.minModuleMm;
}

/** The module count of `text`'s QR code (error correction M), quiet zone left out. */
export function qrModules(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: 'M' }).modules.size;
}

/** The module size `text` gets at `size`, in mm. */
export function qrModuleMm(text: string, size: QrSize): number {
  return moduleMmOf(qrModules(text), size);
}

/** The module size of a code of `n` modules (quiet zone left out) at `size`, in mm. */
export function moduleMmOf(n: number, size: QrSize): number {
  return 'moduleMm' in size ? size.moduleMm : size.sizeMm / (n + 2 * QR_QUIET_MODULES);
}
