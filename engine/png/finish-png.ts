import { rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { throwIfCancelled } from '../errors.ts';

/**
 * What a PNG page is for. `proof`: exactly what the PDF shows, anti-aliased. `k`: for card printers, which
 * send pure black pixels to their K (resin) panel and everything else to the colour dyes: text and rules
 * are drawn without anti-aliasing and every pixel that is not white becomes pure black, so nothing of
 * them prints fuzzy in dye.
 */
export type PngMode = 'proof' | 'k';

/** The pdftoppm switches a mode needs. */
export function pdftoppmArgs(mode: PngMode): string[] {
  return mode === 'k' ? ['-aa', 'no', '-aaVector', 'no'] : [];
}

// A pixel darker than this is ink in `k` mode: the lightest thing a layout prints is a #eee cell tint, so
// tints stay white while grey rules (#999) and text turn black.
const K_INK_BELOW = 250;

/**
 * Finishes pdftoppm's PNG files in place, with sharp: every file carries an sRGB ICC profile (its colours
 * mean the same in every viewer and RIP) and keeps its density; in `k` mode pixels are made pure black or
 * white. Files are finished a few at a time, one per core.
 */
export async function finishPngs(files: readonly string[], dpi: number, mode: PngMode, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      throwIfCancelled(signal);
      const file = files[next++] as string;
      const tmp = `${file}.finish.tmp`;
      try {
        let image = sharp(file);
        if (mode === 'k') image = image.threshold(K_INK_BELOW, { greyscale: false });
        await image.withIccProfile('srgb').withMetadata({ density: dpi }).png({ compressionLevel: 6 }).toFile(tmp);
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), files.length) }, worker));
}
