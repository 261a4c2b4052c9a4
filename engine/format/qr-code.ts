import QRCode from 'qrcode';

/** Module (dot) size of the printed QR code: at least 0.4 mm reads reliably from paper with a phone. */
export const QR_MODULE_MM = 0.7;
/** Quiet zone around the code, in modules, as ISO/IEC 18004 asks. */
export const QR_QUIET_MODULES = 4;

/** Markup the engine made itself and a template prints as is (Handlebars' SafeString protocol). */
export class TrustedHtml {
  constructor(private readonly html: string) {}
  toHTML(): string {
    return this.html;
  }
  toString(): string {
    return this.html;
  }
}

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

const cache = new Map<string, TrustedHtml>();

/** The module count of `text`'s QR code (error correction M), quiet zone left out. */
export function qrModules(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: 'M' }).modules.size;
}

/** The module size `text` gets at `size`, in mm. */
export function qrModuleMm(text: string, size: QrSize): number {
  return moduleMmOf(qrModules(text), size);
}

/** The module size of a code of `n` modules (quiet zone left out) at `size`, in mm. */
function moduleMmOf(n: number, size: QrSize): number {
  return 'moduleMm' in size ? size.moduleMm : size.sizeMm / (n + 2 * QR_QUIET_MODULES);
}

/**
 * A QR code for `text` as an inline SVG: vector, black modules on a white square that includes the quiet
 * zone, sized in millimetres (by `size`). Error correction M.
 */
export function qrCodeSvg(text: string, size: QrSize = PORTAL_QR): TrustedHtml {
  const key = `${JSON.stringify(size)}\u0000${text}`;
  const known = cache.get(key);
  if (known) return known;
  if (cache.size >= 20_000) cache.clear(); // a long run's card codes never fill memory
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const side = n + 2 * QR_QUIET_MODULES;
  if ('minModuleMm' in size && moduleMmOf(n, size) < size.minModuleMm) {
    throw new RangeError(`a QR code of ${text.length} characters does not fit ${JSON.stringify(size)}`);
  }
  // One subpath per horizontal run of dark modules keeps the path short and the edges exact.
  const runs: string[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n;) {
      if (!modules.get(y, x)) {
        x++;
        continue;
      }
      const start = x;
      while (x < n && modules.get(y, x)) x++;
      runs.push(`M${start + QR_QUIET_MODULES} ${y + QR_QUIET_MODULES}h${x - start}v1h-${x - start}z`);
    }
  }
  const mm = ('moduleMm' in size ? side * size.moduleMm : size.sizeMm).toFixed(2);
  const svg = new TrustedHtml(
    `<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" viewBox="0 0 ${side} ${side}" width="${mm}mm" height="${mm}mm" shape-rendering="crispEdges">` +
      `<rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="${runs.join('')}"/></svg>`,
  );
  cache.set(key, svg); // portal URLs repeat; card codes differ per record, but are small
  return svg;
}
