import QRCode from 'qrcode';
import { moduleMmOf, PORTAL_QR, QR_QUIET_MODULES, type QrSize } from '../validate/codes.ts';

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

const cache = new Map<string, TrustedHtml>();

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
