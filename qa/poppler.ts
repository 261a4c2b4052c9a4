// Reads PDFs the way a print shop would, with poppler-utils and zbar-tools from Debian (installed by
// scripts/setup.sh): page boxes, fonts, text and barcodes. Used by the golden check and the tests.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forEachLimited } from '../engine/index.ts';

const runAsync = promisify(execFile);
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

/** Every page's MediaBox and TrimBox in points, from pdfinfo -box. */
export function pageBoxes(pdf: string): { media: number[]; trim: number[]; bleed: number[] }[] {
  const pages = Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [pdf]))?.[1]);
  const info = run('pdfinfo', ['-box', '-f', '1', '-l', String(pages), pdf]);
  const box = (name: string) =>
    [...info.matchAll(new RegExp(`Page\\s+\\d+ ${name}:\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)`, 'g'))].map((m) =>
      m.slice(1, 5).map(Number),
    );
  const media = box('MediaBox');
  const trim = box('TrimBox');
  const bleed = box('BleedBox');
  return media.map((m, i) => ({ media: m, trim: trim[i] ?? [], bleed: bleed[i] ?? [] }));
}

/** The number of pages. */
export function pageCount(pdf: string): number {
  return Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [pdf]))?.[1]);
}

/** The fonts table of pdffonts: name, type, embedded. */
export function fonts(pdf: string): { name: string; type: string; embedded: boolean }[] {
  return run('pdffonts', [pdf])
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^(\S+)\s+(.+?)\s{2,}(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)/.exec(l);
      if (!m) throw new Error(`cannot read pdffonts line: ${l}`);
      return { name: m[1] ?? '', type: m[2] ?? '', embedded: m[4] === 'yes' };
    });
}

/** The text of one page (1-based), in reading order. */
export function pageText(pdf: string, page: number): string {
  return run('pdftotext', ['-f', String(page), '-l', String(page), '-layout', pdf, '-']);
}

/** What zbarimg decodes from a page rasterized at `dpi` (300 unless said): one line per symbol, "QR-Code:<text>". */
export function decodeBarcodes(pdf: string, page: number, dpi = 300): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-zbar-'));
  try {
    execFileSync('pdftoppm', [
      '-f',
      String(page),
      '-l',
      String(page),
      '-r',
      String(dpi),
      '-gray',
      '-png',
      '-singlefile',
      pdf,
      join(dir, 'page'),
    ]);
    return symbols(execFileSync('zbarimg', ['-q', join(dir, 'page.png')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return []; // zbarimg exits 4 when it finds no symbol
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What zbarimg decodes from each of `pngs` (pages already rasterized), as decodeBarcodes: one zbarimg per
 * page, two at a time, without blocking. The golden check reads its QR codes from the pages it compares
 * (300 dpi cards, 150 dpi A4) instead of drawing each page again at 300 dpi: a third of its time went there.
 */
export async function decodeBarcodesInPngs(pngs: Buffer[]): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'shikaku-zbar-'));
  try {
    const out: string[][] = [];
    await forEachLimited(pngs, 2, async (png, i) => {
      const file = join(dir, `page-${i + 1}.png`);
      await writeFile(file, png);
      try {
        out[i] = symbols((await runAsync('zbarimg', ['-q', file], { encoding: 'utf8' })).stdout);
      } catch (err) {
        // zbarimg exits 4 when it finds no symbol; anything else is a failure to read, not an empty page.
        if ((err as { code?: unknown }).code !== 4) throw new Error(`zbarimg on page ${i + 1}: ${(err as Error).message}`);
        out[i] = [];
      }
    });
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** zbarimg's output: one line per symbol. */
function symbols(stdout: string): string[] {
  const text = stdout.trim();
  return text ? text.split('\n') : [];
}

/** The text of one page (1-based) in the order the PDF draws it, which is the document's order. */
export function pageTextInOrder(pdf: string, page: number): string {
  return run('pdftotext', ['-f', String(page), '-l', String(page), '-raw', pdf, '-']);
}
