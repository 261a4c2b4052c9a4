import { rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { throwIfCancelled } from '../errors.ts';

/**
 * What a PNG page is for. `proof`: exactly what the PDF shows, anti-aliased. `k`: for card printers, which
 * send pure black pixels to their K (resin) panel and everything else to the colour dyes: text and rules
 * are drawn without anti-aliasing and every neutral pixel that is not white becomes pure black, so nothing
 * of them prints fuzzy in dye; colour artwork (a red seal) stays colour, for the dye panels.
 */
export type PngMode = 'proof' | 'k';

/** The pdftoppm switches a mode needs. */
export function pdftoppmArgs(mode: PngMode): string[] {
  return mode === 'k' ? ['-aa', 'no', '-aaVector', 'no'] : [];
}

// In `k` mode a neutral pixel whose lightest channel is under this is black ink: grey rules (#999), the
// anti-aliased edges of text and the #eee tints of notices all turn black.
const K_INK_BELOW = 250;
// A pixel whose channels differ by this much has a hue: it is colour artwork, not text or a rule.
const COLOUR_SPREAD = 2;

/**
 * `k` mode, pixel by pixel. A neutral pixel (its channels equal, as poppler draws text and rules) is
 * pure black, or pure white when it is nearly white. A pixel with a hue is colour artwork, the insurer's
 * red seal: it keeps its colour, so the printer puts it on the dye panels, never on the black one.
 */
async function kPixels(file: string): Promise<Buffer> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i] as number,
      g = data[i + 1] as number,
      b = data[i + 2] as number;
    const max = Math.max(r, g, b);
    // poppler draws neutral content with three equal channels: any tint is colour artwork (even the
    // palest anti-aliased edge of the seal, which must not become a black speck)
    if (max - Math.min(r, g, b) >= COLOUR_SPREAD) continue;
    const v = max < K_INK_BELOW ? 0 : 255;
    data[i] = v;
    data[i + 1] = v;
    data[i + 2] = v;
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** How finishing runs: a signal that stops it, and a callback told the count of files finished after each. */
export interface FinishOptions {
  signal?: AbortSignal | undefined;
  onFinished?: ((files: number) => void) | undefined;
}

/**
 * Finishes pdftoppm's PNG files in place, with sharp: every file carries an sRGB ICC profile (its colours
 * mean the same in every viewer and RIP) and keeps its density; in `k` mode pixels are made pure black or
 * white (colour artwork excepted, see kPixels). Files are finished a few at a time, one per core.
 */
export async function finishPngs(files: readonly string[], dpi: number, mode: PngMode, options: FinishOptions = {}): Promise<void> {
  const { signal, onFinished } = options;
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < files.length) {
      throwIfCancelled(signal);
      const file = files[next++] as string;
      const tmp = `${file}.finish.tmp`;
      try {
        const image = mode === 'k' ? sharp(await kPixels(file)) : sharp(file);
        await image.withIccProfile('srgb').withMetadata({ density: dpi }).png({ compressionLevel: 6 }).toFile(tmp);
        await rename(tmp, file);
        onFinished?.(++finished);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), files.length) }, worker));
}
