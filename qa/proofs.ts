import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { rasterizePdfFile } from '../engine/index.ts';
import { unusableInput, readManifest, type ProofManifest } from './align.ts';

const run = promisify(execFile);

/** A page as RGB pixels, 3 bytes a pixel, rows top to bottom. */
export interface PageImage {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * A proof to compare: a PDF, one PNG, or a folder of PNG pages (`render --format png`), with its manifest
 * when one is beside it (`PATH.manifest.json`) or named.
 */
export interface Proof {
  path: string;
  kind: 'pdf' | 'png' | 'png-folder';
  pageCount: number;
  /** PNG pages: the file of each page, in page order. */
  files?: string[];
  manifest?: ProofManifest;
  /** Why the manifest is not used, when there is one that cannot be. */
  manifestNote?: string;
}

const PNG_PAGE = /^\d{4,}-\d+\.png$/;

/** Opens a proof; a missing file, an unreadable PDF or a folder without pages is INVALID_INPUT. */
export async function openProof(path: string, manifestPath?: string): Promise<Proof> {
  if (!existsSync(path)) throw unusableInput(`${path}: no such file or folder`);
  const manifestFile = manifestPath ?? `${path}.manifest.json`;
  const manifest = manifestPath !== undefined || existsSync(manifestFile) ? readManifest(manifestFile) : undefined;
  const withManifest = (p: Proof): Proof => {
    if (typeof manifest === 'string') return { ...p, manifestNote: manifest };
    return manifest ? { ...p, manifest } : p;
  };
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path)
      .filter((f) => PNG_PAGE.test(f))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((f) => join(path, f));
    if (files.length === 0) throw unusableInput(`${path}: a folder with no page PNGs (NNNN-P.png) in it`);
    return withManifest({ path, kind: 'png-folder', pageCount: files.length, files });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return withManifest({ path, kind: 'png', pageCount: 1, files: [path] });
  if (ext !== '.pdf') throw unusableInput(`${path}: expected a .pdf, a .png or a folder of page PNGs`);
  let info: string;
  try {
    info = (await run('pdfinfo', [path], { encoding: 'utf8' })).stdout;
  } catch (err) {
    throw unusableInput(`${path}: not a readable PDF (${((err as { stderr?: string }).stderr ?? '').trim().split('\n')[0]})`);
  }
  const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
  if (!pages) throw unusableInput(`${path}: a PDF with no pages`);
  return withManifest({ path, kind: 'pdf', pageCount: pages });
}

/** Decodes a PNG file to RGB. */
async function pngPixels(file: string): Promise<PageImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Reads a binary PPM (P6, 8 bits), as mutool writes it. */
async function ppmPixels(file: string): Promise<PageImage> {
  const bytes = await readFile(file);
  const head = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (!head) throw new Error(`${file}: not an 8-bit binary PPM`);
  const width = Number(head[1]);
  const height = Number(head[2]);
  return { width, height, data: bytes.subarray(head[0].length, head[0].length + width * height * 3) };
}

/** How the PDF pages of a diff are made into pixels. */
export type Rasterizer = 'mupdf' | 'poppler';

/** Page numbers as mutool takes them: runs of consecutive pages as ranges, `3-5,9,11-12`. */
export function pageList(pages: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < pages.length;) {
    let j = i;
    while (j + 1 < pages.length && pages[j + 1] === (pages[j] as number) + 1) j++;
    runs.push(i === j ? String(pages[i]) : `${pages[i]}-${pages[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/**
 * Pages of a proof as pixels: PDF pages are rasterized into `dir` in one process (MuPDF's mutool, six
 * times as fast as pdftoppm: a diff of two 6,000-page proofs is 12,000 pages; or poppler's pdftoppm, as
 * `render --format png` makes pages, when the other proof is PNG). `pages` ascending; mutool draws only
 * those, pdftoppm the range from the first to the last. Answers a reader of each page, which removes the
 * page's file once read.
 */
export async function rasterPages(
  proof: Proof,
  pages: readonly number[],
  dpi: number,
  dir: string,
  rasterizer: Rasterizer,
): Promise<(page: number) => Promise<PageImage>> {
  if (proof.kind !== 'pdf') return (page) => pngPixels(proof.files?.[page - 1] as string);
  if (rasterizer === 'mupdf') {
    try {
      await run('mutool', ['draw', '-q', '-r', String(dpi), '-o', join(dir, 'p%d.ppm'), proof.path, pageList(pages)]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new Error(
        e.code === 'ENOENT'
          ? 'mutool not found: run `npm run setup` (apt-get install mupdf-tools)'
          : `mutool failed on ${proof.path}: ${e.stderr ?? e.message}`,
      );
    }
    return async (page) => {
      const file = join(dir, `p${page}.ppm`);
      const img = await ppmPixels(file);
      await rm(file, { force: true });
      return img;
    };
  }
  const first = pages[0] as number;
  const last = pages.at(-1) as number;
  const box = /size:\s+([\d.]+) x ([\d.]+) pts/.exec((await run('pdfinfo', ['-f', String(first), '-l', String(first), proof.path])).stdout);
  const mm = (pt: string | undefined) => (Number(pt) / 72) * 25.4;
  const files = await rasterizePdfFile(proof.path, last, { widthMm: mm(box?.[1]), heightMm: mm(box?.[2]) }, dpi, dir, {
    firstPage: first,
    lastPage: last,
  });
  return async (page) => {
    const file = files[page - first] as string;
    const img = await pngPixels(file);
    await rm(file, { force: true });
    return img;
  };
}
