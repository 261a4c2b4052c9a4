import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrintError } from '../errors.ts';

const run = promisify(execFile);

/** Pixels covering `mm` at `dpi`: 85.60 mm at 300 dpi is 1011 px, 53.98 mm is 638 px. */
export function pixelsFor(mm: number, dpi: number): number {
  return Math.round((mm / 25.4) * dpi);
}

/**
 * Rasterizes every page of a finished PDF file to PNG files in `outDir` with poppler's pdftoppm, so a PNG
 * shows exactly what the PDF prints (one path for proofs, card printers and golden checks). The pixel grid
 * is cropped to round(size × dpi), so a card at 300 dpi is 1011 × 638 px; pdftoppm writes the density
 * into each file's pHYs chunk. Returns the files in page order.
 */
export async function rasterizePdfFile(pdfPath: string, pageCount: number, page: { widthMm: number; heightMm: number }, dpi: number, outDir: string): Promise<string[]> {
  const size = ['-r', String(dpi), '-x', '0', '-y', '0', '-W', String(pixelsFor(page.widthMm, dpi)), '-H', String(pixelsFor(page.heightMm, dpi))];
  // pdftoppm is single-threaded: one process per core, each on a contiguous range of pages.
  const parts = Math.max(1, Math.min(availableParallelism(), Math.ceil(pageCount / 20)));
  const per = Math.ceil(pageCount / parts);
  try {
    await Promise.all(
      Array.from({ length: parts }, (_, k) => {
        const first = k * per + 1;
        const last = Math.min(pageCount, (k + 1) * per);
        return run('pdftoppm', [...size, '-f', String(first), '-l', String(last), '-png', pdfPath, join(outDir, `p${k}`)]);
      }),
    );
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PrintError('SETUP', missing ? 'pdftoppm not found: run `npm run setup` (apt-get install poppler-utils)' : `pdftoppm failed: ${(cause as Error).message}`, { cause });
  }
  // pdftoppm names a page by its number, zero-padded to the width of the page count: sort by number.
  const pageOf = (f: string) => Number(/-(\d+)\.png$/.exec(f)?.[1]);
  const files = (await readdir(outDir)).filter((f) => /^p\d+-\d+\.png$/.test(f)).sort((a, b) => pageOf(a) - pageOf(b));
  if (files.length !== pageCount) throw new PrintError('RENDER', `pdftoppm wrote ${files.length} pages, expected ${pageCount}`);
  return files.map((f) => join(outDir, f));
}

/** `rasterizePdfFile` for a PDF in memory, answering the PNGs in memory: for small documents. */
export async function rasterizePdf(pdf: Uint8Array, pageCount: number, page: { widthMm: number; heightMm: number }, dpi: number): Promise<Buffer[]> {
  const dir = await mkdtemp(join(tmpdir(), 'shikaku-print-png-'));
  try {
    const input = join(dir, 'in.pdf');
    await writeFile(input, pdf);
    const files = await rasterizePdfFile(input, pageCount, page, dpi, dir);
    return await Promise.all(files.map((f) => readFile(f)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
