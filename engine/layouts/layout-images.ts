import { readFileSync } from 'node:fs';
import sharp, { type Metadata } from 'sharp';
import { PrintError } from '../errors.ts';
import { SEAL_MIN_DPI } from '../insurers/seal-image.ts';
import type { Layout } from './layouts.ts';
import type { LayoutProblem } from './problems.ts';

const MIME: Record<string, string> = { svg: 'image/svg+xml', png: 'image/png', jpeg: 'image/jpeg' };

/**
 * The CSS that prints a layout's images (layout.json `images`): each is put into the document's head once,
 * as a data URL on `.layout-image-<name>`, a box of the image's size that the image fills keeping its
 * proportions. The head is loaded once per tab, so an image costs nothing per record. Each image is checked
 * as an insurer's seal is: an SVG, or a PNG or JPEG with at least 300 dpi at the size it prints; anything
 * else is a SETUP error naming the file.
 */
export async function layoutImagesCss(layout: Layout): Promise<string> {
  const rules: string[] = [];
  for (const [name, image] of Object.entries(layout.images)) {
    const problem = await imageProblem(image);
    if (problem) throw new PrintError('SETUP', `layout ${layout.id}: ${problem}`);
    const bytes = readFileSync(image.file);
    const format = (await sharp(bytes).metadata()).format ?? '';
    rules.push(
      `.layout-image-${name}{display:block;width:${image.widthMm}mm;height:${image.heightMm}mm;` +
        `background:url("data:${MIME[format]};base64,${bytes.toString('base64')}") center/contain no-repeat}`,
    );
  }
  return rules.join('\n');
}

/** The images of a layout that would not print well, as problems of their files (the studio). */
export async function layoutImageProblems(layout: Layout): Promise<LayoutProblem[]> {
  const problems: LayoutProblem[] = [];
  for (const image of Object.values(layout.images)) {
    const problem = await imageProblem(image);
    if (problem) problems.push({ file: image.file, line: 1, column: 1, message: problem });
  }
  return problems;
}

/** What is wrong with one image at its printed size, or undefined. */
async function imageProblem(image: { file: string; widthMm: number; heightMm: number }): Promise<string | undefined> {
  let meta: Metadata;
  try {
    meta = await sharp(readFileSync(image.file)).metadata();
  } catch (err) {
    return `cannot read the image ${image.file}: ${(err as Error).message}`;
  }
  if (meta.format === 'svg') return undefined;
  if (meta.format !== 'png' && meta.format !== 'jpeg') {
    return `the image ${image.file} is ${meta.format ?? 'of an unknown format'}: give an SVG, a PNG or a JPEG`;
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // Fitted into its box keeping its proportions: the side that fills the box sets the printed size.
  const mmPerPx = Math.min(image.widthMm / width, image.heightMm / height);
  const dpi = 25.4 / mmPerPx;
  if (dpi >= SEAL_MIN_DPI) return undefined;
  const factor = SEAL_MIN_DPI / dpi;
  return (
    `the image ${image.file} is ${width}×${height} px: ${Math.floor(dpi)} dpi in its ${image.widthMm}×${image.heightMm} mm box, ` +
    `where ${SEAL_MIN_DPI} dpi needs ${Math.ceil(width * factor)}×${Math.ceil(height * factor)} px`
  );
}
