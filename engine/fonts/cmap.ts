/**
 * Which characters and variation sequences a TrueType/OpenType font maps to a glyph, read from its 'cmap'
 * table (OpenType spec, "cmap — Character to Glyph Index Mapping Table"): the Unicode full-repertoire
 * subtable (format 12) or, failing that, the BMP one (format 4), plus the Unicode Variation Sequences
 * subtable (format 14) for Ideographic Variation Sequences such as 葛󠄀 (U+845B U+E0100).
 */
export interface CharacterMap {
  /** Whether the font has a glyph for code point `cp`. */
  has(cp: number): boolean;
  /** Whether the font has a glyph for `base` followed by the variation selector `selector`. */
  hasSequence(base: number, selector: number): boolean;
}

const MAX_CP = 0x110000;

/** Reads the character map of a font file (a single font, not a collection). */
export function readCharacterMap(font: Uint8Array): CharacterMap {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const cmap = findTable(view, 'cmap');
  const bits = new Uint8Array(MAX_CP >> 3);
  const set = (cp: number) => {
    if (cp < MAX_CP) bits[cp >> 3]! |= 1 << (cp & 7);
  };
  const count = view.getUint16(cmap + 2);
  const records = Array.from({ length: count }, (_, i) => ({
    platform: view.getUint16(cmap + 4 + i * 8),
    encoding: view.getUint16(cmap + 6 + i * 8),
    offset: cmap + view.getUint32(cmap + 8 + i * 8),
  }));
  const format = (o: number) => view.getUint16(o);
  const full = records.find((r) => r.platform === 3 && r.encoding === 10 && format(r.offset) === 12);
  const bmp = records.find((r) => r.platform === 3 && r.encoding === 1 && format(r.offset) === 4);
  if (full) readFormat12(view, full.offset, set);
  else if (bmp) readFormat4(view, bmp.offset, set);
  else throw new Error('font has no Unicode cmap subtable (format 12 or 4)');
  const uvs = records.find((r) => r.platform === 0 && r.encoding === 5 && format(r.offset) === 14);
  const sequences = uvs ? readFormat14(view, uvs.offset) : new Map<number, Set<number>>();
  const has = (cp: number) => cp < MAX_CP && (bits[cp >> 3]! & (1 << (cp & 7))) !== 0;
  return { has, hasSequence: (base, selector) => sequences.get(selector)?.has(base) ?? false };
}

function findTable(view: DataView, tag: string): number {
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const name = String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
    if (name === tag) return view.getUint32(at + 8);
  }
  throw new Error(`font has no '${tag}' table`);
}

function readFormat12(view: DataView, at: number, set: (cp: number) => void): void {
  const groups = view.getUint32(at + 12);
  for (let g = 0; g < groups; g++) {
    const start = view.getUint32(at + 16 + g * 12);
    const end = Math.min(view.getUint32(at + 20 + g * 12), MAX_CP - 1);
    const glyph = view.getUint32(at + 24 + g * 12);
    for (let cp = start; cp <= end; cp++) if (glyph + (cp - start) !== 0) set(cp);
  }
}

function readFormat4(view: DataView, at: number, set: (cp: number) => void): void {
  const segs = view.getUint16(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + segs * 2 + 2;
  const deltas = starts + segs * 2;
  const rangeOffsets = deltas + segs * 2;
  for (let s = 0; s < segs; s++) {
    const end = view.getUint16(ends + s * 2);
    const start = view.getUint16(starts + s * 2);
    const delta = view.getInt16(deltas + s * 2);
    const rangeOffsetAt = rangeOffsets + s * 2;
    const rangeOffset = view.getUint16(rangeOffsetAt);
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (cp + delta) & 0xffff;
      else {
        const g = view.getUint16(rangeOffsetAt + rangeOffset + (cp - start) * 2);
        glyph = g === 0 ? 0 : (g + delta) & 0xffff;
      }
      if (glyph !== 0) set(cp);
    }
  }
}

const uint24 = (view: DataView, at: number) => (view.getUint8(at) << 16) | view.getUint16(at + 1);

function readFormat14(view: DataView, at: number): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const records = view.getUint32(at + 6);
  for (let r = 0; r < records; r++) {
    const rec = at + 10 + r * 11;
    const selector = uint24(view, rec);
    const defaultOffset = view.getUint32(rec + 3);
    const nonDefaultOffset = view.getUint32(rec + 7);
    const bases = new Set<number>();
    if (defaultOffset) {
      const t = at + defaultOffset;
      const ranges = view.getUint32(t);
      for (let i = 0; i < ranges; i++) {
        const start = uint24(view, t + 4 + i * 4);
        const extra = view.getUint8(t + 7 + i * 4);
        for (let cp = start; cp <= start + extra; cp++) bases.add(cp);
      }
    }
    if (nonDefaultOffset) {
      const t = at + nonDefaultOffset;
      const mappings = view.getUint32(t);
      for (let i = 0; i < mappings; i++) bases.add(uint24(view, t + 4 + i * 5));
    }
    out.set(selector, bases);
  }
  return out;
}
