import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';

/** The least resolution a raster seal may have at its printed size: print practice for line art. */
export const SEAL_MIN_DPI = 300;
/** The resolution an SVG seal is drawn at: fine enough that its edges never show on any card printer. */
export const SVG_SEAL_DPI = 600;

/** A seal ready to print: a PNG of the seal's colour whose alpha is the artwork's ink. */
export interface SealImage {
  png: Buffer;
  /** Where the asset server serves it: its content hash, so one image is fetched and embedded once. */
  urlPath: string;
  widthPx: number;
  heightPx: number;
}

/**
 * Reads a seal image (SVG or PNG) and prints it in `color`: the artwork's darkness, times its own alpha,
 * becomes the alpha of a solid `color`, so black-on-white and black-on-transparent artwork alike print as
 * a clean red seal with no white box around it. A PNG must reach SEAL_MIN_DPI at `printedMm` (the largest
 * seal box of any layout); an SVG is drawn at SVG_SEAL_DPI. Throws an Error saying what is wrong.
 */
export async function loadSealImage(file: string, color: string, printedMm: number): Promise<SealImage> {
  // Read as bytes: an SVG given by its bytes has no place on the disk, so librsvg loads nothing it names.
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the seal image ${file}: ${(err as Error).message}`);
  }
  const meta = await sharp(bytes).metadata().catch((err: unknown) => {
    throw new Error(`cannot read the seal image ${file}: ${(err as Error).message}`);
  });
  let image: Sharp;
  if (meta.format === 'svg') {
    const px = Math.round((SVG_SEAL_DPI * printedMm) / 25.4);
    const side = Math.max(meta.width ?? 1, meta.height ?? 1);
    // librsvg draws at `density` dpi (72 = the SVG's own size); draw large enough, then fit the box.
    image = sharp(bytes, { density: Math.min(72 * Math.max(1, px / side) * 1.01, 100_000) })
      .resize(px, px, { fit: 'inside' });
  } else if (meta.format === 'png') {
    const longest = Math.max(meta.width ?? 0, meta.height ?? 0);
    const dpi = longest / (printedMm / 25.4);
    if (dpi < SEAL_MIN_DPI) {
      const needed = Math.ceil((SEAL_MIN_DPI * printedMm) / 25.4);
      throw new Error(
        `the seal image ${file} is ${meta.width}×${meta.height} px: ${Math.floor(dpi)} dpi at ${printedMm} mm, where ${SEAL_MIN_DPI} dpi needs ${needed} px on its longer side`,
      );
    }
    image = sharp(bytes);
  } else {
    throw new Error(`the seal image ${file} is ${meta.format ?? 'of an unknown format'}: give an SVG or a PNG`);
  }
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = rgbOf(color);
  const out = Buffer.alloc(info.width * info.height * 4);
  for (let i = 0, o = 0; i < data.length; i += info.channels, o += 4) {
    const luminance = (0.2126 * (data[i] ?? 0) + 0.7152 * (data[i + 1] ?? 0) + 0.0722 * (data[i + 2] ?? 0)) / 255;
    const alpha = ((data[i + info.channels - 1] ?? 0) / 255) * (1 - luminance);
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = Math.round(alpha * 255);
  }
  if (!out.some((v, i) => i % 4 === 3 && v > 0)) throw new Error(`the seal image ${file} is blank: it has no ink to print`);
  const png = await sharp(out, { raw: { width: info.width, height: info.height, channels: 4 } }).png({ compressionLevel: 9 }).toBuffer();
  const hash = createHash('sha256').update(png).digest('hex').slice(0, 16);
  return { png, urlPath: `/img/seal-${hash}.png`, widthPx: info.width, heightPx: info.height };
}

/** `#rrggbb` as numbers. */
function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
