// Test-only readings of rendered pages (pixels and word boxes); the print-shop readings live in qa/poppler.ts.
import { execFileSync } from 'node:child_process';

export { pageBoxes, pageCount, fonts, pageText, pageTextInOrder, decodeBarcodes } from '../../qa/poppler.ts';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

/** One page rasterized to 8-bit grey at `dpi`: width, height and one byte per pixel (0 black). */
export function greyPage(pdf: string, page: number, dpi: number): { width: number; height: number; pixels: Buffer } {
  const out = execFileSync('pdftoppm', ['-f', String(page), '-l', String(page), '-r', String(dpi), '-gray', pdf], {
    maxBuffer: 256 * 1024 * 1024,
  });
  // PGM: "P5\n<w> <h>\n255\n" then the pixels.
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(out.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('pdftoppm did not write a PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: out.subarray(header[0].length) };
}

/** Horizontal runs of dark pixels at least `minPx` long: lines and borders, with their row and extent. */
export function horizontalRuns(
  img: { width: number; height: number; pixels: Buffer },
  minPx: number,
): { y: number; x: number; length: number }[] {
  const runs: { y: number; x: number; length: number }[] = [];
  for (let y = 0; y < img.height; y++) {
    let start = -1;
    for (let x = 0; x <= img.width; x++) {
      const dark = x < img.width && (img.pixels[y * img.width + x] ?? 255) < 128;
      if (dark && start < 0) start = x;
      if (!dark && start >= 0) {
        if (x - start >= minPx) runs.push({ y, x: start, length: x - start });
        start = -1;
      }
    }
  }
  return runs;
}

/** The text inside a rectangle of a page, in millimetres from the top-left corner. */
export function textIn(pdf: string, page: number, rect: { x: number; y: number; w: number; h: number }): string {
  const pt = (mm: number) => String(Math.round((mm / 25.4) * 72));
  return run('pdftotext', [
    '-f',
    String(page),
    '-l',
    String(page),
    '-x',
    pt(rect.x),
    '-y',
    pt(rect.y),
    '-W',
    pt(rect.w),
    '-H',
    pt(rect.h),
    '-layout',
    pdf,
    '-',
  ]);
}

/** Dark pixels inside a rectangle of a grey image, in pixels. */
export function darkPixels(img: { width: number; height: number; pixels: Buffer }, x: number, y: number, w: number, h: number): number {
  let n = 0;
  for (let yy = Math.max(0, y); yy < Math.min(img.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(img.width, x + w); xx++) if ((img.pixels[yy * img.width + xx] ?? 255) < 160) n++;
  }
  return n;
}

/** Each word pdftotext finds on a page, with its box in points from the top-left corner. */
export function wordBoxes(pdf: string, page: number): { text: string; xMin: number; yMin: number; xMax: number; yMax: number }[] {
  const xml = run('pdftotext', ['-f', String(page), '-l', String(page), '-bbox', pdf, '-']);
  return [...xml.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
    xMin: Number(m[1]),
    yMin: Number(m[2]),
    xMax: Number(m[3]),
    yMax: Number(m[4]),
    text: m[5] ?? '',
  }));
}
