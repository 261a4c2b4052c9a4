import fontkit from '@pdf-lib/fontkit';
import { readPinnedFonts, readVerifiedFont, type PinnedFont } from './fonts.ts';

/**
 * Chromium's glyph runs predicted from the laid-out text and the pinned faces: which glyphs it draws for a
 * text node, at which size, and where (print once, the glyph writer: engine/pdf/text-layer.ts writes them).
 *
 * The rules, read from Chromium's print and checked against it run for run on every layout's samples
 * (test/text-layer.test.ts):
 * - a record box is clipped to its border box snapped to whole pixels (each edge rounded);
 * - the font size is cut to 1/100 px (8.66667 px is drawn at 8.66);
 * - each line starts where it was laid out (x to 1/64 px), its baseline at its top plus the face's ascent
 *   (hhea) at the size, each rounded to a whole pixel;
 * - each glyph advances by its advance width at the size rounded to a whole pixel, itself rounded, plus the
 *   letter spacing (float32);
 * - glyphs are the face's own ids, one per character (the cmap).
 * A run is placed only when every character is in its face (no fallback font, no variation sequence) and
 * its advances add up, line by line, to the widths Chromium laid out (to 1/64 px: no kerning, no
 * justification); any other page is left to Chromium's print.
 */

/** One text node of a record box: its text, its style, and each line it was laid out on. */
export interface TextRun {
  text: string;
  /** The first family of its `font-family` (a pinned font's id), and its weight. */
  family: string;
  weight: number;
  /** Its font size and letter spacing, in CSS pixels, as laid out. */
  size: number;
  spacing: number;
  /** Its colour, 0–255 each. */
  color: [number, number, number];
  /** Each line's box (getClientRects of the text), relative to the page: left, top, width. */
  lines: [number, number, number][];
}

/** A record box: the rectangle that clips it (its border box, CSS pixels, relative to its page) and its runs. */
export interface TextBox {
  clip: [number, number, number, number] | null;
  runs: TextRun[];
}

/**
 * A QR code alone in its box (engine/format/qr-code.ts): where its SVG was laid out (CSS px, relative to its
 * page), its side in modules (quiet zone included, its viewBox) and its path (`M x y h w v1 h-w z` per run).
 */
export interface QrBox {
  qr: { rect: [number, number, number, number]; modules: number; path: string };
}

/** A page's record boxes, each as text or a QR code (read by engine/browser/text-runs.ts), or why neither. */
export interface PageText {
  boxes: (TextBox | QrBox | { not: string })[];
}

/** A pinned face read with fontkit: its glyphs, metrics and file. */
export interface Face {
  pinned: PinnedFont;
  font: fontkit.Font;
  bytes: Uint8Array;
  unitsPerEm: number;
  ascent: number;
  descent: number;
}

/** One line of a run: where its first glyph stands (CSS px), its glyph ids and each one's advance. */
export interface PlacedLine {
  x: number;
  baseline: number;
  glyphs: number[];
  advances: number[];
  /** Whether every advance is the glyph's own width at the run's size: Chromium then shows the line at once. */
  own: boolean;
}

/** A run's glyphs: face, size as drawn (float32), colour and lines. */
export interface PlacedRun {
  face: Face;
  size: number;
  color: [number, number, number];
  lines: PlacedLine[];
}

/**
 * A record box's glyphs: its clip in whole CSS px (x, y, width, height) and its runs; or a QR code, clipped
 * to its SVG's place snapped to whole px, drawn from there at `scale` page units a module.
 */
export interface PlacedBox {
  clip: [number, number, number, number] | null;
  runs: PlacedRun[];
  qr?: { modules: number; scale: number; runs: [number, number, number][] };
}

/** Chromium's page units (0.24 pt) in a CSS px. */
const PAGE_UNITS_PER_PX = 3.125;
/** One run of dark modules, as engine/format/qr-code.ts writes it. */
const QR_RUN = /M(\d+) (\d+)h(\d+)v1h-(\d+)z/y;

/**
 * A page's glyphs, box by box in the page's order (null: a box left to Chromium's print), and each face's
 * characters.
 */
export interface GlyphPage {
  boxes: (PlacedBox | null)[];
  /** For each face, each glyph drawn and the character it stands for (the ToUnicode map). */
  chars: Map<Face, Map<number, string>>;
}

/** Chromium lays out in 1/64 px. */
const LAYOUT_UNIT = 1 / 64;

const faces = new Map<string, Face | null>();

/** The pinned face of a family id and weight, read once per process; null if none is pinned. */
export function pinnedFace(family: string, weight: number): Face | null {
  const key = `${family}/${weight}`;
  let face = faces.get(key);
  if (face === undefined) {
    const pinned = readPinnedFonts().find((f) => f.id === family && f.weight === weight);
    if (pinned) {
      const bytes = readVerifiedFont(pinned);
      const font = fontkit.create(bytes);
      // fontkit reads the horizontal header; its types leave it out
      const hhea = (font as unknown as { hhea: { ascent: number; descent: number } }).hhea;
      face = { pinned, font, bytes, unitsPerEm: font.unitsPerEm, ascent: hhea.ascent, descent: hhea.descent };
    } else face = null;
    faces.set(key, face);
  }
  return face;
}

const isSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);

/**
 * A page's glyphs as Chromium would draw them, box by box; a box that is not plain text, or whose glyphs
 * cannot be placed exactly, is null (Chromium prints it).
 */
export function placeGlyphs(page: PageText): GlyphPage {
  const chars = new Map<Face, Map<number, string>>();
  const snap = ([x, y, w, h]: [number, number, number, number]): [number, number, number, number] => {
    const [x0, y0, x1, y1] = [x, y, x + w, y + h].map(Math.round) as [number, number, number, number];
    return [x0, y0, x1 - x0, y1 - y0];
  };
  const boxes = page.boxes.map((box): PlacedBox | null => {
    if ('not' in box) return null;
    if ('qr' in box) {
      // Modules: each run `x y width` (one module high); the path must be qr-code.ts's own.
      const runs: [number, number, number][] = [];
      let read = 0;
      QR_RUN.lastIndex = 0;
      for (let m = QR_RUN.exec(box.qr.path); m; m = QR_RUN.exec(box.qr.path)) {
        if (m[3] !== m[4]) return null;
        runs.push([Number(m[1]), Number(m[2]), Number(m[3])]);
        read = QR_RUN.lastIndex;
      }
      if (read !== box.qr.path.length) return null;
      const [, , width] = box.qr.rect;
      // the viewBox's scale (float32), then the page's
      const scale = Math.fround(Math.fround(width / box.qr.modules) * PAGE_UNITS_PER_PX);
      return { clip: snap(box.qr.rect), runs: [], qr: { modules: box.qr.modules, scale, runs } };
    }
    const clip = box.clip ? snap(box.clip) : null;
    // the box's characters count once the whole box is placed
    const drawn = new Map<Face, Map<number, string>>();
    const runs: PlacedRun[] = [];
    for (const run of box.runs) {
      const placed = placeRun(run, drawn);
      if ('not' in placed) return null;
      runs.push(placed);
    }
    addChars(chars, drawn);
    return { clip, runs };
  });
  return { boxes, chars };
}

/** Adds each face's characters of `from` to `into`, keeping the first character a glyph was drawn for. */
export function addChars(into: Map<Face, Map<number, string>>, from: Map<Face, Map<number, string>>): void {
  for (const [face, glyphs] of from) {
    const all = into.get(face) ?? new Map<number, string>();
    into.set(face, all);
    for (const [id, ch] of glyphs) if (!all.has(id)) all.set(id, ch);
  }
}

/** Why a run's glyphs cannot be placed exactly, if they cannot (the box is then Chromium's). */
export function unplaceable(run: TextRun): string | undefined {
  const placed = placeRun(run, new Map());
  return 'not' in placed ? placed.not : undefined;
}

/** A run's glyphs, its characters added to `chars`; or why they cannot be placed. */
function placeRun(run: TextRun, chars: Map<Face, Map<number, string>>): PlacedRun | { not: string } {
  const face = pinnedFace(run.family, run.weight);
  if (!face) return { not: `the font ${run.family} ${run.weight} is not a pinned face` };
  const text = [...run.text];
  const ids: number[] = [];
  const advances: number[] = [];
  const hinted = Math.round(run.size);
  const spacing = Math.fround(run.spacing);
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isSelector(cp)) return { not: 'a variation selector' };
    const g = face.font.glyphForCodePoint(cp);
    if (!g || g.id === 0) return { not: `a character outside ${face.pinned.name}` };
    ids.push(g.id);
    advances.push(Math.fround(Math.floor((g.advanceWidth / face.unitsPerEm) * hinted + 0.5) + spacing));
  }
  const size = Math.fround(Math.floor(run.size * 100 + 1e-6) / 100);
  const ascent = Math.round((face.ascent / face.unitsPerEm) * run.size);
  const lines: PlacedLine[] = [];
  let at = 0;
  for (const [left, top, width] of run.lines) {
    let end = at;
    let sum = 0;
    while (end < ids.length && sum < width - LAYOUT_UNIT / 2) sum += advances[end++] as number;
    if (end === at || Math.abs(sum - width) > LAYOUT_UNIT) return { not: 'advances that do not add up to the laid-out width' };
    const glyphs = ids.slice(at, end);
    const adv = advances.slice(at, end);
    const own = adv.every((a, i) => a === (face.font.getGlyph(glyphs[i] as number).advanceWidth / face.unitsPerEm) * size);
    lines.push({ x: Math.fround(left), baseline: Math.round(top + ascent), glyphs, advances: adv, own });
    at = end;
  }
  if (at !== ids.length) return { not: 'text left over after its lines' };
  const mine = new Map<number, string>();
  text.forEach((ch, i) => {
    if (!mine.has(ids[i] as number)) mine.set(ids[i] as number, ch);
  });
  addChars(chars, new Map([[face, mine]]));
  return { face, size, color: run.color, lines };
}
