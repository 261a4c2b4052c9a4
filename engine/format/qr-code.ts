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

const cache = new Map<string, TrustedHtml>();

/**
 * A QR code for `text` as an inline SVG: vector, black modules on a white square that includes the quiet
 * zone, sized in millimetres so every module is QR_MODULE_MM wide on paper. Error correction M.
 */
export function qrCodeSvg(text: string): TrustedHtml {
  const known = cache.get(text);
  if (known) return known;
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const side = n + 2 * QR_QUIET_MODULES;
  // One subpath per horizontal run of dark modules keeps the path short and the edges exact.
  const runs: string[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; ) {
      if (!modules.get(y, x)) {
        x++;
        continue;
      }
      const start = x;
      while (x < n && modules.get(y, x)) x++;
      runs.push(`M${start + QR_QUIET_MODULES} ${y + QR_QUIET_MODULES}h${x - start}v1h-${x - start}z`);
    }
  }
  const mm = (side * QR_MODULE_MM).toFixed(2);
  const svg = new TrustedHtml(
    `<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" viewBox="0 0 ${side} ${side}" width="${mm}mm" height="${mm}mm" shape-rendering="crispEdges">` +
      `<rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="${runs.join('')}"/></svg>`,
  );
  cache.set(text, svg);
  return svg;
}
