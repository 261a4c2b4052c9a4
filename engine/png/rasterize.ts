import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrintError, throwIfCancelled } from '../errors.ts';
import { OWNER_ENV, ownerMarker } from '../orphans.ts';
import { finishPngs, pdftoppmArgs, type PngMode } from './finish-png.ts';

/** Which pages to rasterize, and how to stop it. */
export interface RasterizeOptions {
  /** Stops the work: every pdftoppm is killed and the promise rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** First page to rasterize, from 1; the first page of the document when left out. */
  firstPage?: number | undefined;
  /** Last page to rasterize, inclusive; the last page of the document when left out. */
  lastPage?: number | undefined;
  /** A proof (the default) or pure black on white for a card printer's K panel (finish-png.ts). */
  png?: PngMode | undefined;
  /** Told how far the work is: at its start, every half second while pdftoppm draws, after each page finished. */
  onProgress?: ((p: RasterizeProgress) => void) | undefined;
}

/** How far rasterizing is: `draw` while pdftoppm draws the pages, then `finish` while sharp finishes them. */
export interface RasterizeProgress {
  step: 'draw' | 'finish';
  pagesDone: number;
  pagesTotal: number;
}

/** The files pdftoppm writes: `p<part>-<page>.png`. */
const DRAWN_PAGE = /^p\d+-\d+\.png$/;

/** A page's size on paper. */
export interface PageSize {
  widthMm: number;
  heightMm: number;
}

/** Pixels covering `mm` at `dpi`: 85.60 mm at 300 dpi is 1011 px, 53.98 mm is 638 px. */
export function pixelsFor(mm: number, dpi: number): number {
  return Math.round((mm / 25.4) * dpi);
}

/** Throws INVALID_INPUT unless `page` is a whole number from 1 to `pageCount`; `name` is the page's name in the message. */
export function checkPageNumber(page: number, pageCount: number, name = 'page'): void {
  if (!Number.isInteger(page) || page < 1 || page > pageCount) {
    throw new PrintError('INVALID_INPUT', `${name} must be a whole number from 1 to ${pageCount}, not ${String(page)}`);
  }
}

/**
 * Rasterizes pages of a finished PDF file (all of them, or `firstPage` to `lastPage`) to PNG files in
 * `outDir` with poppler's pdftoppm, so a PNG shows exactly what the PDF prints (one path for proofs, card
 * printers and golden checks). The pixel grid is cropped to round(size × dpi), so a card at 300 dpi is
 * 1011 × 638 px; each file keeps its density (pHYs) and carries an sRGB profile. Returns the files in page
 * order.
 * When it fails or is cancelled, every pdftoppm has exited before it rejects; what they wrote stays in
 * `outDir`, which the caller owns and removes.
 */
export async function rasterizePdfFile(
  pdfPath: string,
  pageCount: number,
  page: PageSize,
  dpi: number,
  outDir: string,
  options: RasterizeOptions = {},
): Promise<string[]> {
  const { signal, firstPage = 1, lastPage = pageCount, png = 'proof', onProgress } = options;
  checkPageNumber(firstPage, pageCount, 'firstPage');
  checkPageNumber(lastPage, pageCount, 'lastPage');
  if (lastPage < firstPage) throw new PrintError('INVALID_INPUT', `lastPage (${lastPage}) comes before firstPage (${firstPage})`);
  throwIfCancelled(signal);

  const size = [
    '-r',
    String(dpi),
    '-x',
    '0',
    '-y',
    '0',
    '-W',
    String(pixelsFor(page.widthMm, dpi)),
    '-H',
    String(pixelsFor(page.heightMm, dpi)),
    ...pdftoppmArgs(png),
  ];
  const wanted = lastPage - firstPage + 1;
  // pdftoppm is single-threaded: one process per core, each on a contiguous range of pages.
  const parts = Math.max(1, Math.min(availableParallelism(), Math.ceil(wanted / 20)));
  const per = Math.ceil(wanted / parts);
  const ranges = Array.from(
    { length: parts },
    (_, k) => [firstPage + k * per, Math.min(lastPage, firstPage + (k + 1) * per - 1)] as const,
  ).filter(([first, last]) => first <= last);

  // One controller stops every process: on the caller's abort, and when one process fails (the others'
  // pages would be thrown away anyway).
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  signal?.addEventListener('abort', stopAll, { once: true });
  let failure: { cause: unknown } | undefined;
  let running = ranges.length;
  const watch =
    onProgress &&
    watchDrawnPages(
      outDir,
      () => running,
      (n) => onProgress({ step: 'draw', pagesDone: Math.min(n, wanted), pagesTotal: wanted }),
    );
  try {
    await Promise.all(
      ranges.map(([first, last], k) =>
        pdftoppm([...size, '-f', String(first), '-l', String(last), '-png', pdfPath, join(outDir, `p${k}`)], stop.signal)
          .catch((cause: unknown) => {
            failure ??= { cause };
            stop.abort();
          })
          .finally(() => running--),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', stopAll);
    watch?.stop();
  }
  throwIfCancelled(signal);
  if (failure) {
    const { cause } = failure;
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PrintError(
      'SETUP',
      missing ? 'pdftoppm not found: run `npm run setup` (apt-get install poppler-utils)' : `pdftoppm failed: ${(cause as Error).message}`,
      { cause },
    );
  }
  // pdftoppm names a page by its number, zero-padded to the width of the page count: sort by number.
  const pageOf = (f: string) => Number(/-(\d+)\.png$/.exec(f)?.[1]);
  const files = (await readdir(outDir)).filter((f) => DRAWN_PAGE.test(f)).sort((a, b) => pageOf(a) - pageOf(b));
  if (files.length !== wanted) throw new PrintError('RENDER', `pdftoppm wrote ${files.length} pages, expected ${wanted}`);
  const paths = files.map((f) => join(outDir, f));
  onProgress?.({ step: 'draw', pagesDone: wanted, pagesTotal: wanted });
  onProgress?.({ step: 'finish', pagesDone: 0, pagesTotal: wanted });
  const onFinished = onProgress && ((n: number) => onProgress({ step: 'finish', pagesDone: n, pagesTotal: wanted }));
  await finishPngs(paths, dpi, png, { signal, onFinished });
  return paths;
}

/**
 * `rasterizePdfFile` for a PDF in memory, answering the PNGs in memory: for small documents or a few pages.
 * Its temporary folder is removed before it answers, also when it fails or is cancelled.
 */
export async function rasterizePdf(
  pdf: Uint8Array,
  pageCount: number,
  page: PageSize,
  dpi: number,
  options: RasterizeOptions = {},
): Promise<Buffer[]> {
  throwIfCancelled(options.signal);
  // Named like the engine's other temp folders (orphans.ts): the next start removes it if this process is killed.
  const dir = await mkdtemp(join(tmpdir(), `shikaku-print-png-${process.pid}-`));
  try {
    const input = join(dir, 'in.pdf');
    await writeFile(input, pdf);
    const files = await rasterizePdfFile(input, pageCount, page, dpi, dir, options);
    const pngs = await Promise.all(files.map((f) => readFile(f)));
    throwIfCancelled(options.signal);
    return pngs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Counts the pages pdftoppm has drawn into `outDir` every half second, from the files it named: a file
 * appears when its page starts, so each process still running has one page unfinished. Reports a count
 * at once too (0 at the start), so the caller sees the step begin.
 */
function watchDrawnPages(outDir: string, running: () => number, report: (pages: number) => void): { stop: () => void } {
  let busy = false;
  let stopped = false;
  report(0);
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readdir(outDir)
      .then((names) => {
        if (!stopped) report(Math.max(0, names.filter((f) => DRAWN_PAGE.test(f)).length - running()));
      })
      .catch(() => undefined) // a progress count is never worth a failure
      .finally(() => (busy = false));
  }, 500);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/**
 * Runs one pdftoppm; `signal` kills it with SIGKILL (it holds no state worth a clean exit). The promise
 * settles only once the process has exited, also when it was killed, so the caller can remove the folder
 * it wrote into without racing its last writes.
 */
function pdftoppm(args: readonly string[], signal: AbortSignal): Promise<void> {
  // The owner marker lets the next start kill a pdftoppm that outlived a killed engine (orphans.ts).
  const env = { ...process.env, [OWNER_ENV]: ownerMarker() };
  return new Promise((resolve, reject) => {
    const child = execFile('pdftoppm', args, { env, signal, killSignal: 'SIGKILL' }, (err) => {
      const settle = () => (err instanceof Error ? reject(err) : resolve());
      // On abort Node answers as soon as it sent the signal, before the process is gone: wait for its exit.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) settle();
      else child.once('exit', settle);
    });
  });
}
