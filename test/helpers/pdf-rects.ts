// What a PDF page draws, read back in millimetres from the page's top-left corner, y downwards: the filled
// rectangles (from `mutool trace`, its transforms applied), the bounds of every other path and image, and
// the words (from `pdftotext -bbox-layout`). The parsers are pure (parseTrace, parseWords) so that they can
// be tested on a fixed snippet; traceOf and words run the tools. test/helpers/pdf-drawing.ts reads the
// content stream itself with pdf-lib; this reads what MuPDF's interpreter makes of it, clips and forms
// included, as an independent second reader.
import { execFileSync } from 'node:child_process';

const MM_PER_PT = 25.4 / 72;

/** A rectangle in mm from the page's top-left corner, y downwards. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One filled axis-aligned rectangle: where it is (mm) and its fill colour as the PDF gives it. */
export interface FilledRect extends Box {
  /** The fill's components, as mutool writes them: `0 0 0`, `1`, `.9333 .9333 .9333` … */
  color: string;
  colorspace: string;
  /** Which fill of the page (0-based) drew it: subpaths of one fill share it. */
  path: number;
}

/** Anything else a page draws that is no filled rectangle (strokes, curves, images), by its bounds. */
export interface Mark extends Box {
  kind: 'fill' | 'stroke' | 'image';
  color: string;
}

/** A page's drawing as mutool traces it. */
export interface PageTrace {
  widthMm: number;
  heightMm: number;
  rects: FilledRect[];
  marks: Mark[];
}

/** One word of a page with its box in mm, and the pdftotext block and line it belongs to. */
export interface Word extends Box {
  text: string;
  block: number;
  line: number;
}

type Matrix = [number, number, number, number, number, number];

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const num = (tag: string, name: string): number => Number(attr(tag, name) ?? NaN);

function matrixOf(tag: string): Matrix {
  const m = (attr(tag, 'transform') ?? '1 0 0 1 0 0').trim().split(/\s+/).map(Number);
  if (m.length !== 6 || m.some((n) => !Number.isFinite(n))) throw new Error(`mutool trace: bad transform in ${tag.slice(0, 80)}`);
  return m as Matrix;
}

/** x' = a x + c y + e, y' = b x + d y + f: user space to the page's device space (pt, y down). */
const apply = ([a, b, c, d, e, f]: Matrix, x: number, y: number): [number, number] => [a * x + c * y + e, b * x + d * y + f];

const EPS_PT = 1e-3;
const same = (p: number, q: number) => Math.abs(p - q) < EPS_PT;

/** A subpath's points as a box when they are the 4 corners of an axis-aligned rectangle, closed. */
function rectOf(points: [number, number][], closed: boolean): Box | null {
  const pts = points.slice();
  const first = pts[0];
  const last = pts.at(-1);
  // A rectangle is closed by closepath or by coming back to its start.
  if (first && last && pts.length === 5 && same(first[0], last[0]) && same(first[1], last[1])) pts.pop();
  else if (!closed) return null;
  if (pts.length !== 4) return null;
  // Each edge is horizontal or vertical, and they alternate.
  const edges = pts.map((p, i) => {
    const q = pts[(i + 1) % 4] as [number, number];
    return same(p[1], q[1]) && !same(p[0], q[0]) ? 'h' : same(p[0], q[0]) && !same(p[1], q[1]) ? 'v' : 'x';
  });
  const alternating = edges.join('') === 'hvhv' || edges.join('') === 'vhvh';
  if (!alternating) return null;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return { x: x0, y: y0, width: Math.max(...xs) - x0, height: Math.max(...ys) - y0 };
}

const toMm = (b: Box): Box => ({ x: b.x * MM_PER_PT, y: b.y * MM_PER_PT, width: b.width * MM_PER_PT, height: b.height * MM_PER_PT });

function bounds(points: [number, number][], grow = 0): Box | null {
  if (points.length === 0) return null;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs) - grow;
  const y0 = Math.min(...ys) - grow;
  return { x: x0, y: y0, width: Math.max(...xs) + grow - x0, height: Math.max(...ys) + grow - y0 };
}

/**
 * A page of `mutool trace` output: every axis-aligned 4-corner closed subpath of a fill as a rectangle;
 * every other fill, every stroke (grown by half its line width, scaled) and every image by its bounds.
 * Text is left to `words`. Clips are not applied: what a clip hides still counts as drawn.
 */
export function parseTrace(xml: string): PageTrace {
  const page = /<page\b[^>]*>/.exec(xml)?.[0];
  const box = page && attr(page, 'mediabox')?.trim().split(/\s+/).map(Number);
  if (!box || box.length !== 4) throw new Error('mutool trace: no <page mediabox>');
  const [bx0, by0, bx1, by1] = box as [number, number, number, number];
  const rects: FilledRect[] = [];
  const marks: Mark[] = [];
  let fills = 0;
  for (const m of xml.matchAll(/<(fill_path|stroke_path)\b([^>]*)>([\s\S]*?)<\/\1>|<fill_image\b([^>]*)\/?>/g)) {
    if (m[4] !== undefined) {
      // An image fills the unit square of its transform.
      const t = matrixOf(m[0]);
      const b = bounds([apply(t, 0, 0), apply(t, 1, 0), apply(t, 1, 1), apply(t, 0, 1)]) as Box;
      marks.push({ ...toMm(b), kind: 'image', color: '' });
      continue;
    }
    const [, element, tag = '', body = ''] = m;
    const t = matrixOf(tag);
    const color = (attr(tag, 'color') ?? '').trim();
    const colorspace = attr(tag, 'colorspace') ?? '';
    const subpaths: { points: [number, number][]; closed: boolean; curved: boolean }[] = [];
    for (const op of body.matchAll(/<(moveto|lineto|curveto|closepath)\b([^>]*)\/>/g)) {
      const [, name, a = ''] = op;
      if (name === 'moveto') subpaths.push({ points: [apply(t, num(a, 'x'), num(a, 'y'))], closed: false, curved: false });
      const sp = subpaths.at(-1);
      if (!sp) continue;
      if (name === 'lineto') sp.points.push(apply(t, num(a, 'x'), num(a, 'y')));
      if (name === 'curveto') {
        sp.curved = true;
        for (const k of ['1', '2', '3']) if (attr(a, `x${k}`) !== undefined) sp.points.push(apply(t, num(a, `x${k}`), num(a, `y${k}`)));
      }
      if (name === 'closepath') sp.closed = true;
    }
    if (element === 'stroke_path') {
      // Half the line width on every side, in device units (the larger scale of the transform).
      const scale = Math.max(Math.hypot(t[0], t[1]), Math.hypot(t[2], t[3]));
      const b = bounds(
        subpaths.flatMap((s) => s.points),
        (num(tag, 'linewidth') || 1) * scale * 0.5,
      );
      if (b) marks.push({ ...toMm(b), kind: 'stroke', color });
      continue;
    }
    const path = fills++;
    for (const sp of subpaths) {
      const r = sp.curved ? null : rectOf(sp.points, sp.closed);
      if (r) rects.push({ ...toMm(r), color, colorspace, path });
      else {
        const b = bounds(sp.points);
        if (b && sp.points.length > 1) marks.push({ ...toMm(b), kind: 'fill', color });
      }
    }
  }
  return { widthMm: (bx1 - bx0) * MM_PER_PT, heightMm: (by1 - by0) * MM_PER_PT, rects, marks };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] ?? all),
  );

/**
 * The words of one page of `pdftotext -bbox-layout` (or `-bbox`) output, in mm; with `-bbox-layout`, each
 * word's block and line (0-based, in pdftotext's reading order; -1 with `-bbox`).
 */
export function parseWords(xhtml: string): Word[] {
  const out: Word[] = [];
  let block = -1;
  let line = -1;
  for (const m of xhtml.matchAll(/<block\b|<line\b|<word\b([^>]*)>([^<]*)<\/word>/g)) {
    if (m[0] === '<block') block++;
    else if (m[0] === '<line') line++;
    else {
      const a = m[1] ?? '';
      const [x0, y0, x1, y1] = ['xMin', 'yMin', 'xMax', 'yMax'].map((k) => num(a, k)) as [number, number, number, number];
      out.push({
        text: unescape(m[2] ?? ''),
        x: x0 * MM_PER_PT,
        y: y0 * MM_PER_PT,
        width: (x1 - x0) * MM_PER_PT,
        height: (y1 - y0) * MM_PER_PT,
        block,
        line,
      });
    }
  }
  return out;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/** Page `page` (1-based) of `pdf` as mutool traces it. */
export function traceOf(pdf: string, page: number): PageTrace {
  return parseTrace(run('mutool', ['trace', pdf, String(page)]));
}

/** The filled rectangles of page `page` (1-based) of `pdf`, in mm from the top-left corner. */
export function filledRects(pdf: string, page: number): FilledRect[] {
  return traceOf(pdf, page).rects;
}

/** The words of page `page` (1-based) of `pdf`, in mm from the top-left corner. */
export function words(pdf: string, page: number): Word[] {
  return parseWords(run('pdftotext', ['-f', String(page), '-l', String(page), '-bbox-layout', pdf, '-']));
}

/** White in its colour space: gray 1, RGB 1 1 1, CMYK 0 0 0 0. */
export function isWhite(c: { color: string; colorspace?: string }): boolean {
  const v = c.color.split(/\s+/).filter(Boolean).map(Number);
  if (c.colorspace === 'DeviceCMYK' || v.length === 4) return v.every((n) => n === 0);
  return v.length > 0 && v.every((n) => n === 1);
}

/** Black in its colour space: gray 0, RGB 0 0 0, CMYK with K 1 (or all 1). */
export function isBlack(c: { color: string; colorspace?: string }): boolean {
  const v = c.color.split(/\s+/).filter(Boolean).map(Number);
  if (c.colorspace === 'DeviceCMYK' || v.length === 4) return v[3] === 1;
  return v.length > 0 && v.every((n) => n === 0);
}

/** `inner` lies wholly inside `outer`, allowing `eps` mm. */
export function inside(inner: Box, outer: Box, eps = 1e-6): boolean {
  return (
    inner.x >= outer.x - eps &&
    inner.y >= outer.y - eps &&
    inner.x + inner.width <= outer.x + outer.width + eps &&
    inner.y + inner.height <= outer.y + outer.height + eps
  );
}

/** The two boxes share area (touching edges do not count). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** How far `inner` keeps inside `outer` on its tightest side, in mm (negative: it sticks out). */
export function margin(inner: Box, outer: Box): number {
  return Math.min(
    inner.x - outer.x,
    inner.y - outer.y,
    outer.x + outer.width - (inner.x + inner.width),
    outer.y + outer.height - (inner.y + inner.height),
  );
}

/** `b` shrunk by `d` mm on every side. */
export function inset(b: Box, d: number): Box {
  return { x: b.x + d, y: b.y + d, width: b.width - 2 * d, height: b.height - 2 * d };
}
