import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { compareImages, maskImage, EXACT, type PixelRect } from './compare.ts';
import { decodePng, encodePng } from './png.ts';
import { pageBoxes, rasterizeAll } from './poppler.ts';
import type { Report, ReportPage } from './report.ts';

/** A region to ignore, in millimetres from the page's top-left corner; page null means every page. */
export interface Mask {
  page: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Parses `PAGE:X,Y,W,H` (millimetres; PAGE a number from 1, or * for every page). */
export function parseMask(text: string): Mask {
  const m = /^(\d+|\*):([\d.]+),([\d.]+),([\d.]+),([\d.]+)$/.exec(text);
  if (!m) throw new Error(`--mask expects PAGE:X,Y,W,H in millimetres (PAGE a number or *), received "${text}"`);
  return { page: m[1] === '*' ? null : Number(m[1]), x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[5]) };
}

interface Proof {
  /** Page sizes in points, when the proof is a PDF. */
  sizesPt: (number[] | undefined)[];
  pngs: Buffer[];
}

function loadProof(path: string, dpi: number, work: string): Proof {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return { sizesPt: [undefined], pngs: [readFileSync(path)] };
  if (ext !== '.pdf') throw new Error(`${path}: expected a .pdf or .png proof`);
  const dir = mkdtempSync(join(work, 'proof-'));
  const pngs = rasterizeAll(path, dpi, dir).map((f) => readFileSync(f));
  return { sizesPt: pageBoxes(path).map((b) => b.media.slice(2, 4)), pngs };
}

/**
 * Compares two proofs page by page: PDFs are rasterized at `dpi` with poppler's pdftoppm, PNGs compared as
 * they are. Page count and page size mismatches are reported as such; masked regions are ignored; every
 * other pixel must be the same (the exact rule).
 */
export function diffProofs(reference: string, candidate: string, options: { dpi: number; masks: readonly Mask[] }): Report {
  const work = mkdtempSync(join(tmpdir(), 'shikaku-diff-'));
  try {
    const ref = loadProof(reference, options.dpi, work);
    const cand = loadProof(candidate, options.dpi, work);
    const notes: string[] = [
      `reference ${reference}: ${ref.pngs.length} page(s); candidate ${candidate}: ${cand.pngs.length} page(s); ${options.dpi} dpi.`,
    ];
    if (ref.pngs.length !== cand.pngs.length)
      notes.push(`Page count differs: reference has ${ref.pngs.length}, candidate ${cand.pngs.length}.`);
    const pages: ReportPage[] = [];
    const pxPerMm = options.dpi / 25.4;
    for (let i = 0; i < Math.max(ref.pngs.length, cand.pngs.length); i++) {
      const title = `page ${i + 1}`;
      const r = ref.pngs[i];
      const c = cand.pngs[i];
      if (!r || !c) {
        pages.push({
          title,
          status: 'different',
          diffPixels: 0,
          regionMm: null,
          notes: [r ? 'only in the reference' : 'only in the candidate'],
          images: { ...(r ? { expected: r } : {}), ...(c ? { actual: c } : {}) },
        });
        continue;
      }
      const pageNotes: string[] = [];
      const rs = ref.sizesPt[i];
      const cs = cand.sizesPt[i];
      if (rs && cs && (Math.abs((rs[0] ?? 0) - (cs[0] ?? 0)) > 0.01 || Math.abs((rs[1] ?? 0) - (cs[1] ?? 0)) > 0.01)) {
        pageNotes.push(`Page size differs: reference ${rs.join(' × ')} pt, candidate ${cs.join(' × ')} pt.`);
      }
      const rects: PixelRect[] = options.masks
        .filter((m) => m.page === null || m.page === i + 1)
        .map((m) => ({
          x: Math.floor(m.x * pxPerMm),
          y: Math.floor(m.y * pxPerMm),
          width: Math.ceil(m.width * pxPerMm),
          height: Math.ceil(m.height * pxPerMm),
        }));
      const result = compareImages(maskImage(decodePng(r), rects), maskImage(decodePng(c), rects), EXACT);
      if (result.sizeMismatch)
        pageNotes.push(
          `Image size differs: reference ${result.sizeMismatch.expected.join(' × ')} px, candidate ${result.sizeMismatch.actual.join(' × ')} px.`,
        );
      const same = result.same && pageNotes.length === 0;
      const reg = result.region;
      pages.push({
        title,
        status: same ? 'same' : 'different',
        diffPixels: result.diffPixels,
        regionMm: reg ? { x: reg.x / pxPerMm, y: reg.y / pxPerMm, width: reg.width / pxPerMm, height: reg.height / pxPerMm } : null,
        notes: pageNotes,
        ...(same ? {} : { images: { expected: r, actual: c, ...(result.diff ? { diff: encodePng(result.diff) } : {}) } }),
      });
    }
    const ok = ref.pngs.length === cand.pngs.length && pages.every((p) => p.status === 'same');
    return { title: `shikaku-print diff`, ok, notes, pages };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
