// Text that pdf-lib draws on the engine's own pages (the receipt list) in the pinned faces: BIZ UD Gothic, and
// IPAmj Mincho for what it lacks, character by character as Chromium falls back on the printed documents, or
// for the whole text when it holds a variation sequence only IPAmj Mincho has (glyph-coverage.ts decides).
// A text is set into a cell as large as it fits, on one line while that stays readable, else wrapped, down to
// a floor, and never cut: a name on a receipt list is what the clerk checks against the envelope.
import { createHash } from 'node:crypto';
import fontkit from '@pdf-lib/fontkit';
import type { Color, PDFDocument, PDFFont, PDFPage } from 'pdf-lib';
import { embeddableFace } from '../fonts/embeddable-gothic.ts';
import { fontForText, pinnedCoverage } from '../fonts/glyph-coverage.ts';

const GOTHIC = 'BIZ UD Gothic Regular';
const GOTHIC_BOLD = 'BIZ UD Gothic Bold';
const MJ = 'IPAmj Mincho';

/** The faces of one document: regular and bold Gothic, and IPAmj Mincho when a text needs it. */
export interface Faces {
  regular: PDFFont;
  bold: PDFFont;
  mj?: PDFFont;
}

/** A piece of text in one face. */
interface Run {
  font: PDFFont;
  text: string;
}

/**
 * Embeds the faces as subsets into `doc`, IPAmj Mincho only when one of `texts` needs it. Each subset's tag is
 * made from `seed` (what the document prints): the same document gives the same bytes (PDF 32000-1, 9.6.4).
 */
export async function embedFaces(doc: PDFDocument, texts: readonly string[], seed: string): Promise<Faces> {
  doc.registerFontkit(fontkit);
  const embed = (name: string) =>
    doc.embedFont(embeddableFace(name), { subset: true, customName: `${subsetTag(`${name}\n${seed}`)}+${name.replace(/\s+/g, '')}` });
  const faces: Faces = { regular: await embed(GOTHIC), bold: await embed(GOTHIC_BOLD) };
  if (texts.some((t) => runsOf(t).some((r) => r.face === MJ))) faces.mj = await embed(MJ);
  return faces;
}

const isSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);

/**
 * The runs of `text` by face name: all IPAmj Mincho when glyph-coverage.ts says so, else BIZ UD Gothic with
 * each character it lacks in IPAmj Mincho. A character no pinned face has is refused (RangeError, naming its
 * code point only: the text may be a name).
 */
function runsOf(text: string): { face: string; text: string }[] {
  const coverage = pinnedCoverage();
  const verdict = fontForText(text, coverage);
  if ('missing' in verdict) throw new RangeError(`has a character that no pinned face draws: ${verdict.missing.replace(/"[^"]*" /, '')}`);
  if (verdict.font === 'mj') return [{ face: MJ, text }];
  const gothic = coverage.primary.find((f) => f.name === GOTHIC)?.map;
  const out: { face: string; text: string }[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    const last = out.at(-1);
    // A variation selector stays with its base (the layout faces have the sequence: fontForText said so).
    const face = isSelector(cp) && last ? last.face : gothic === undefined || gothic.has(cp) ? GOTHIC : MJ;
    if (last && last.face === face) last.text += char;
    else out.push({ face, text: char });
  }
  return out;
}

function runs(faces: Faces, text: string, bold: boolean): Run[] {
  return runsOf(text).map((r) => ({ font: r.face === MJ ? (faces.mj ?? faces.regular) : bold ? faces.bold : faces.regular, text: r.text }));
}

/** The width of `text` at `size`, pt, in the faces that draw it. */
export function textWidth(faces: Faces, text: string, size: number, bold = false): number {
  // Widths grow with the size: each text is laid out once, at 1 pt, per document and weight.
  let widths = unitWidths.get(faces);
  if (!widths) unitWidths.set(faces, (widths = new Map<string, number>()));
  const key = `${bold ? 'b' : 'r'}${text}`;
  let unit = widths.get(key);
  if (unit === undefined) {
    unit = runs(faces, text, bold).reduce((w, r) => w + r.font.widthOfTextAtSize(r.text, 1), 0);
    widths.set(key, unit);
  }
  return unit * size;
}

const unitWidths = new WeakMap<Faces, Map<string, number>>();

/** The face each page draws in now: pdf-lib names a font anew in the page's resources whenever it is set. */
const current = new WeakMap<PDFPage, PDFFont>();

/** Draws `text` with its baseline's left end at (x, y), pdf-lib's coordinates, run after run. */
export function drawRuns(
  page: PDFPage,
  faces: Faces,
  text: string,
  at: { x: number; y: number; size: number; color: Color; bold?: boolean },
): void {
  let x = at.x;
  for (const r of runs(faces, text, at.bold ?? false)) {
    if (current.get(page) !== r.font) {
      page.setFont(r.font);
      current.set(page, r.font);
    }
    page.drawText(r.text, { x, y: at.y, size: at.size, color: at.color });
    x += r.font.widthOfTextAtSize(r.text, at.size);
  }
}

/** Text as it is set: its size and its lines. */
export interface FittedText {
  size: number;
  lines: string[];
}

/** A cell's room, and the sizes its text may take. */
export interface CellRoom {
  width: number;
  height: number;
  /** The size when it fits, pt. */
  max: number;
  /** The smallest size it may be made, pt. */
  floor: number;
  /** At most this many lines (as many as the height holds when left out). */
  lines?: number;
  bold?: boolean;
  /** Cut with … what does not fit at `floor` (an address may be; a name never is). */
  cut?: boolean;
  /** Text stays on one line down to this share of `max` before it wraps (0.75 when left out). */
  oneLine?: number;
}

const STEP = 0.25;
/** Line height as a multiple of the size. */
export const LEADING = 1.2;
/** Marks that end a 宛名 and stay with the word before them. */
const HONORIFIC = /^(様|御中|殿)$/;
/** Characters a line may not begin with (行頭禁則, JIS X 4051's short list): they stay with the one before. */
const NO_LINE_START = /^[・、。，．）」』】〕］｝ー～〜ァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ々ゝゞヽヾ！？!?,.)\]}:;：；]/u;

/**
 * `text` at the largest size from `max` down to `floor` (in 0.25 pt steps) at which it fits the cell, trying
 * in turn: one line down to `oneLine` × `max` (0.75 when left out); lines broken at spaces only, down to 0.6
 * × `max`; lines broken anywhere (between two characters of a word wider than a line, never before ・ or ー
 * and the like), down to `floor`. Past the floor, `cut` cuts it with …; else it throws a RangeError saying
 * how long it is, not what it says.
 */
export function fitCell(faces: Faces, text: string, room: CellRoom): FittedText {
  // Line breaks and tabs become a space; an ideographic space (全角) stays as the name has it.
  const s = text.replace(/[\t\n\v\f\r ]+/g, ' ').trim();
  const fits = (t: string, size: number) => textWidth(faces, t, size, room.bold) <= room.width;
  const linesAt = (size: number) => Math.min(room.lines ?? Infinity, Math.floor((room.height + 1e-9) / (size * LEADING)));
  const passes: [number, (size: number) => string[] | null][] = [
    [room.max * (room.oneLine ?? 0.75), (size) => (fits(s, size) ? [s] : null)],
    [room.max * 0.6, (size) => wrap(s, (t) => fits(t, size), false)],
    [room.floor, (size) => wrap(s, (t) => fits(t, size), true)],
  ];
  for (const [down, set] of passes) {
    for (let size = room.max; size >= Math.max(down, room.floor) - 1e-9; size -= STEP) {
      const rounded = Math.round(size * 100) / 100;
      if (linesAt(rounded) < 1) continue;
      const lines = set(rounded);
      if (lines && lines.length <= linesAt(rounded)) return { size: rounded, lines };
    }
  }
  if (room.cut) return cutToFit(s, Math.max(1, linesAt(room.floor)), (t) => fits(t, room.floor), room.floor);
  throw new RangeError(`(${[...s].length} characters) does not fit its cell of ${room.width.toFixed(0)} pt even at ${room.floor} pt`);
}

/** `most` lines at `size`, the last one ending with … where the text goes on. */
function cutToFit(text: string, most: number, fits: (t: string) => boolean, size: number): FittedText {
  const chars = characters(text);
  const lines: string[] = [];
  while (lines.length < most && chars.length > 0) {
    const last = lines.length === most - 1;
    let n = 0;
    while (n < chars.length && fits(chars.slice(0, n + 1).join('') + (last && n + 1 < chars.length ? '…' : ''))) n += 1;
    if (n === 0) break;
    const line = chars.splice(0, n).join('');
    lines.push(last && chars.length > 0 ? `${line}…` : line);
  }
  return { size, lines };
}

/** Characters, not UTF-16 units, each with its variation selector. */
function characters(text: string): string[] {
  return text.match(/\P{M}[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]?|./gsu) ?? [];
}

/**
 * Lines of `text` filled greedily with words (a space, either width, ends one); 様 or 御中 after a space stays with the word
 * before it. A word wider than a line is broken between its characters when `anywhere`, keeping ・, ー and
 * the like off the start of a line; else there are no lines (null), as when one character is wider than a line.
 */
function wrap(text: string, fits: (t: string) => boolean, anywhere: boolean): string[] | null {
  const words = text.split(/(?<=[ \u3000])/);
  const lastWord = words.at(-1);
  if (words.length > 1 && lastWord !== undefined && HONORIFIC.test(lastWord)) words.splice(-2, 2, `${words.at(-2) ?? ''}${lastWord}`);
  const lines: string[] = [];
  let line = '';
  const push = (piece: string): boolean => {
    if (fits(`${line}${piece}`.trimEnd())) {
      line += piece;
      return true;
    }
    if (line.trim() === '' || !fits(piece.trimEnd())) return false;
    lines.push(line.trimEnd());
    line = piece;
    return true;
  };
  for (const word of words) {
    if (push(word)) continue;
    if (!anywhere) return null;
    for (const char of characters(word)) {
      const before = line;
      if (!push(char)) return null;
      // A break just before a character that may not begin a line takes the last character over with it.
      if (line === char && NO_LINE_START.test(char) && before !== '') {
        const carried = characters(before.trimEnd()).at(-1) ?? '';
        const kept = before.trimEnd().slice(0, -carried.length);
        if (kept === '' || !fits(`${carried}${char}`)) continue;
        lines[lines.length - 1] = kept;
        line = `${carried}${char}`;
      }
    }
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines;
}

/** Six capital letters from `seed`, a subset's tag. */
function subsetTag(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return [...digest.subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
}
