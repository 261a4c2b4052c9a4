// The pinned faces ready for pdf-lib to embed as subsets: the files the engine draws itself (mailing summary,
// calibration sheet, receipt list) set their text in BIZ UD Gothic, and a receipt list's names fall back to
// IPAmj Mincho for what BIZ UD Gothic lacks.
import { PrintError } from '../errors.ts';
import { readPinnedFonts, readVerifiedFont } from './fonts.ts';

const faces = new Map<string, Buffer>();

/** A pinned face by its fonts.json `name`, checked by SHA-256, with its glyphs padded for pdf-lib's subsetting. */
export function embeddableFace(name: string): Buffer {
  let bytes = faces.get(name);
  if (!bytes) {
    const face = readPinnedFonts().find((f) => f.name === name);
    if (!face) throw new PrintError('SETUP', `the pinned face ${name} is not in fonts/fonts.json`);
    bytes = withEvenGlyphs(readVerifiedFont(face));
    faces.set(name, bytes);
  }
  return bytes;
}

/** The pinned BIZ UD Gothic Regular, checked by SHA-256, with its glyphs padded for pdf-lib's subsetting. */
export function embeddableGothic(): Buffer {
  return embeddableFace('BIZ UD Gothic Regular');
}

/**
 * The font with every glyph padded to 4 bytes. fontkit's TrueType subsetter (@pdf-lib/fontkit 1.1.1) copies
 * each glyph as it is and writes short loca offsets (offset / 2) for a small subset; half of BIZ UD Gothic's
 * glyphs have an odd length, so every glyph after one of them was read from the wrong byte and drew nothing.
 * Padding is what the TrueType spec recommends anyway; the rasterizer ignores it.
 */
export function withEvenGlyphs(font: Buffer): Buffer {
  const tables = Array.from({ length: font.readUInt16BE(4) }, (_, i) => ({
    tag: font.toString('latin1', 12 + 16 * i, 16 + 16 * i),
    checksum: font.readUInt32BE(16 + 16 * i),
    body: font.subarray(font.readUInt32BE(20 + 16 * i), font.readUInt32BE(20 + 16 * i) + font.readUInt32BE(24 + 16 * i)),
  }));
  const table = (tag: string) => tables.find((t) => t.tag === tag) ?? fontError(`it has no ${tag} table`);
  const [head, loca, glyf] = [table('head'), table('loca'), table('glyf')];
  if (head.body.readInt16BE(50) !== 1) return font; // short offsets count in 2 bytes: every glyph is even already
  const glyphs: Buffer[] = [];
  const offsets = Buffer.alloc(loca.body.length);
  let at = 0;
  for (let g = 0; g + 1 < loca.body.length / 4; g += 1) {
    const glyph = glyf.body.subarray(loca.body.readUInt32BE(4 * g), loca.body.readUInt32BE(4 * g + 4));
    offsets.writeUInt32BE(at, 4 * g);
    glyphs.push(glyph, Buffer.alloc(-glyph.length & 3));
    at += (glyph.length + 3) & ~3;
  }
  offsets.writeUInt32BE(at, loca.body.length - 4);
  // Checksums left at 0, as fontkit writes them in every subset: nothing on the way to the PDF checks them.
  Object.assign(loca, { body: offsets, checksum: 0 });
  Object.assign(glyf, { body: Buffer.concat(glyphs), checksum: 0 });
  return assemble(font.subarray(0, 12), tables);
}

/** A TrueType file of the tables, in their order, each at a 4-byte boundary. */
function assemble(offsetTable: Buffer, tables: readonly { tag: string; checksum: number; body: Buffer }[]): Buffer {
  const directory = Buffer.alloc(12 + 16 * tables.length);
  offsetTable.copy(directory);
  const parts: Buffer[] = [directory];
  let offset = directory.length;
  tables.forEach((t, i) => {
    directory.write(t.tag, 12 + 16 * i, 'latin1');
    directory.writeUInt32BE(t.checksum, 16 + 16 * i);
    directory.writeUInt32BE(offset, 20 + 16 * i);
    directory.writeUInt32BE(t.body.length, 24 + 16 * i);
    parts.push(t.body, Buffer.alloc(-t.body.length & 3));
    offset += (t.body.length + 3) & ~3;
  });
  return Buffer.concat(parts);
}

function fontError(why: string): never {
  throw new PrintError('SETUP', `a pinned face cannot be embedded: ${why}`);
}
