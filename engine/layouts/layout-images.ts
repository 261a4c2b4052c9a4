import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { PrintError } from '../errors.ts';
import { SEAL_MIN_DPI } from '../insurers/seal-image.ts';
import { fileInside } from './file-inside.ts';
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
    const checked = await inspectImage(image, layout);
    if ('problem' in checked) throw new PrintError('SETUP', `layout ${layout.id}: ${checked.problem}`);
    rules.push(
      `.layout-image-${name}{display:block;width:${image.widthMm}mm;height:${image.heightMm}mm;` +
        `background:url("${checked.dataUrl}") center/contain no-repeat}`,
    );
  }
  return rules.join('\n');
}

/** The images of a layout that would not print well, as problems of their files (the studio). */
export async function layoutImageProblems(layout: Layout): Promise<LayoutProblem[]> {
  const problems: LayoutProblem[] = [];
  for (const image of Object.values(layout.images)) {
    const checked = await inspectImage(image, layout);
    if ('problem' in checked) problems.push({ file: image.file, line: 1, column: 1, message: checked.problem });
  }
  return problems;
}

type ImageBox = { file: string; widthMm: number; heightMm: number };
type Inspected = { dataUrl: string } | { problem: string };

/**
 * Every render asks for its layout's images (a counter print too): an image is read and checked once per
 * version of its file (its size and modification time) and box, and answered from here after that.
 */
const inspected = new Map<string, Inspected>();

/**
 * An image as a data URL, or what is wrong with it at its printed size. Where it is was checked when the
 * layout loaded (layouts.ts); it is checked again here, as it is read for every render: a file swapped
 * since for a link to somewhere else is refused, as at load, with one message whether or not that exists.
 */
async function inspectImage(image: ImageBox, layout: Layout): Promise<Inspected> {
  if (fileInside(dirname(layout.dir), image.file) === undefined) {
    return { problem: `the image ${image.file} is no longer a file inside the layouts folder` };
  }
  let key: string;
  try {
    const { size, mtimeMs } = statSync(image.file);
    key = JSON.stringify([image.file, size, mtimeMs, image.widthMm, image.heightMm]);
  } catch (err) {
    return { problem: `cannot read the image ${image.file}: ${(err as Error).message}` };
  }
  let answer = inspected.get(key);
  if (!answer) {
    answer = await checkImage(image);
    inspected.set(key, answer);
  }
  return answer;
}

async function checkImage(image: ImageBox): Promise<Inspected> {
  let bytes: Buffer;
  let meta: Metadata;
  try {
    bytes = readFileSync(image.file);
    meta = await sharp(bytes).metadata();
  } catch (err) {
    return { problem: `cannot read the image ${image.file}: ${(err as Error).message}` };
  }
  const dataUrl = `data:${MIME[meta.format ?? ''] ?? ''};base64,${bytes.toString('base64')}`;
  if (meta.format === 'svg') return { dataUrl };
  if (meta.format !== 'png' && meta.format !== 'jpeg') {
    return { problem: `the image ${image.file} is ${meta.format ?? 'of an unknown format'}: give an SVG, a PNG or a JPEG` };
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // Fitted into its box keeping its proportions: the side that fills the box sets the printed size.
  const mmPerPx = Math.min(image.widthMm / width, image.heightMm / height);
  const dpi = 25.4 / mmPerPx;
  if (dpi >= SEAL_MIN_DPI) return { dataUrl };
  const factor = SEAL_MIN_DPI / dpi;
  return {
    problem:
      `the image ${image.file} is ${width}×${height} px: ${Math.floor(dpi)} dpi in its ${image.widthMm}×${image.heightMm} mm box, ` +
      `where ${SEAL_MIN_DPI} dpi needs ${Math.ceil(width * factor)}×${Math.ceil(height * factor)} px`,
  };
}
