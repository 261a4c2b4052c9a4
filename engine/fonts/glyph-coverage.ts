import { readFileSync } from 'node:fs';
import { readCharacterMap, type CharacterMap } from './cmap.ts';
import { readPinnedFonts, type PinnedFont } from './fonts.ts';

/** The pinned faces' character maps: the layouts' own faces (BIZ UD) and the MJ face (IPAmj Mincho). */
export interface GlyphCoverage {
  primary: { name: string; map: CharacterMap }[];
  mj: { name: string; map: CharacterMap };
}

/** How a text can be printed: in the layout's faces, wholly in the MJ face, or not at all. */
export type TextFont = { font: 'layout' | 'mj' } | { missing: string; reason: string };

const MJ_ID = 'ipamj-mincho';
let cached: GlyphCoverage | undefined;

/** Reads the character maps of the pinned fonts (once per process). */
export function pinnedCoverage(pinned?: readonly PinnedFont[]): GlyphCoverage {
  if (cached) return cached; // checked first: callers ask once per record, fonts.json is read once
  const fonts = pinned ?? readPinnedFonts();
  const load = (f: PinnedFont) => ({ name: f.name, map: readCharacterMap(readFileSync(f.path)) });
  const mj = fonts.find((f) => f.id === MJ_ID);
  if (!mj) throw new Error(`fonts.json has no ${MJ_ID}`);
  cached = { primary: fonts.filter((f) => f.id !== MJ_ID).map(load), mj: load(mj) };
  return cached;
}

const isSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** A character or a base with its variation selector, as printed together. */
interface Cluster {
  base: number;
  selector?: number;
}

function clusters(text: string): Cluster[] {
  const cps = [...text].map((c) => c.codePointAt(0) ?? 0);
  const out: Cluster[] = [];
  for (let i = 0; i < cps.length; i++) {
    const base = cps[i] ?? 0;
    const next = cps[i + 1];
    if (next !== undefined && isSelector(next)) {
      out.push({ base, selector: next });
      i++;
    } else out.push({ base });
  }
  return out;
}

/** Whether every layout face draws `c`. */
function inLayout(coverage: GlyphCoverage, c: Cluster): boolean {
  for (const f of coverage.primary) if (!drawn(f.map, c)) return false;
  return true;
}

const drawn = (map: CharacterMap, c: Cluster) => (c.selector === undefined ? map.has(c.base) : map.hasSequence(c.base, c.selector));
const show = (c: Cluster) => String.fromCodePoint(c.base, ...(c.selector === undefined ? [] : [c.selector]));
const codes = (c: Cluster) => [c.base, ...(c.selector === undefined ? [] : [c.selector])].map(hex).join(' ');

/**
 * Decides which pinned face prints `text` with the right glyph for every character. The layout's faces
 * print it when they hold every character; characters they lack fall back, one by one, to IPAmj Mincho
 * (Chromium's per-character fallback) unless a variation sequence is involved: a face that lacks a
 * sequence prints the base character's default glyph, which is another character in a resident register,
 * so then the whole text is set in IPAmj Mincho, or refused when no one face has all its sequences.
 */
export function fontForText(text: string, coverage: GlyphCoverage): TextFont {
  // Runs for every printed field of every record: no closures or strings are made unless a glyph is missing.
  const cs = clusters(text);
  for (const c of cs) {
    if (!inLayout(coverage, c) && !drawn(coverage.mj.map, c)) {
      const what = c.selector === undefined ? 'character' : 'variation sequence';
      const names = [...coverage.primary.map((f) => f.name), coverage.mj.name].join(', ');
      return { missing: `${what} "${show(c)}" (${codes(c)})`, reason: `is in none of the pinned fonts (${names}): it would print as an empty box or another glyph` };
    }
  }
  let sequenceOutsideLayout: Cluster | undefined;
  for (const c of cs) {
    if (c.selector !== undefined && !inLayout(coverage, c)) {
      sequenceOutsideLayout = c;
      break;
    }
  }
  if (!sequenceOutsideLayout) return { font: 'layout' };
  if (cs.every((c) => drawn(coverage.mj.map, c))) return { font: 'mj' };
  return {
    missing: `variation sequence "${show(sequenceOutsideLayout)}" (${codes(sequenceOutsideLayout)})`,
    reason: `is only in ${coverage.mj.name}, which lacks other characters of the same text; no one pinned font prints it all`,
  };
}
