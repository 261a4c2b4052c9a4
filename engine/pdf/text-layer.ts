import { deflateSync, inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { PDFArray, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFString, type PDFRef } from 'pdf-lib';
import { PrintError } from '../errors.ts';
import { readPinnedFonts, readVerifiedFont, type PinnedFont } from '../fonts/fonts.ts';
import type { PageText, TextRun } from '../browser/text-runs.ts';
import { float32Text, tokens } from './content-offset.ts';
import { subsetTrueType } from './own-glyphs.ts';

/**
 * The glyph writer: a chunk's variable layer (engine/browser/layers.ts) written from the laid-out text
 * (text-runs.ts) and the pinned fonts, without Chromium's print, as Chromium would print it.
 *
 * Chromium's print of a text run, as read from its output and checked run for run against it on every
 * layout's samples (test/text-layer.test.ts):
 * - each record box is clipped to its border box snapped to whole pixels, `q x y w h re W* n` in the
 *   page's units (CSS px × 3.125);
 * - the text is drawn in CSS pixels, `3.125 0 0 3.125 0 0 cm`, in its colour (stroke and fill), with the
 *   font size cut to 1/100 px (`Tf`, as a float32) and, per line, `1 0 0 -1 x y Tm`: x where the line was
 *   laid out, y its top plus the font's ascent (hhea) at the size, each rounded to a whole pixel;
 * - each glyph advances by its advance width at the size rounded to a whole pixel, itself rounded, plus
 *   the letter spacing: one `<glyphs> Tj` when every advance is the font's own (`W`) at the `Tf` size,
 *   else `a 0 Td <glyph> Tj` glyph by glyph;
 * - glyphs are the font's own ids (Identity-H), the font subset to them with its ids kept (HarfBuzz's
 *   subsetter, as Chromium's Skia).
 * A run is written only when every one of its characters is in its font and the advances add up, line by
 * line, to the widths Chromium laid out (1/64 px); anything else (a character from a fallback font, kerning,
 * justification) leaves the page to Chromium.
 */

/** A page's text ready to write: its drawing (without the page transform) and the glyphs of each face. */
export interface WrittenPage {
  drawing: string;
  glyphs: Map<Face, Map<number, string>>;
}

/** Where a page's units are: its media box and the transform of its drawing (from its static layer's print). */
export interface PageFrame {
  mediaBox: number[];
  transform: string;
}

/** A pinned face read with fontkit: its glyphs, metrics and file. */
export interface Face {
  pinned: PinnedFont;
  font: fontkit.Font;
  bytes: Uint8Array;
  unitsPerEm: number;
  ascent: number;
}

const PX = 3.125;
/** Chromium lays out in 1/64 px. */
const LAYOUT_UNIT = 1 / 64;

const faces = new Map<string, Face | null>();

/** The pinned face a run names (its first family and weight), read once per process; null if not pinned. */
function faceOf(family: string, weight: number): Face | null {
  const key = `${family}/${weight}`;
  let face = faces.get(key);
  if (face === undefined) {
    const pinned = readPinnedFonts().find((f) => f.id === family && f.weight === weight);
    if (pinned) {
      const bytes = readVerifiedFont(pinned);
      const font = fontkit.create(bytes);
      face = { pinned, font, bytes, unitsPerEm: font.unitsPerEm, ascent: hhea(font).ascent };
    } else face = null;
    faces.set(key, face);
  }
  return face;
}

/** The font's horizontal header (fontkit reads it; its types leave it out). */
const hhea = (font: fontkit.Font) => (font as unknown as { hhea: { ascent: number; descent: number } }).hhea;

const isSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);

/** Hex of a glyph id, as Identity-H shows it. */
const hex4 = (gid: number) => gid.toString(16).toUpperCase().padStart(4, '0');

/**
 * A page's text as Chromium would print it, or why it cannot be written exactly (the page is then left to
 * Chromium).
 */
export function planPage(page: PageText): WrittenPage | { not: string } {
  if ('not' in page) return page;
  const glyphs = new Map<Face, Map<number, string>>();
  const out: string[] = [];
  for (const box of page.boxes) {
    if (box.runs.length === 0) continue;
    out.push('q');
    if (box.clip) {
      // Snapped to whole pixels, as Chromium clips: each edge rounded.
      const [x, y, w, h] = box.clip;
      const [x0, y0, x1, y1] = [x, y, x + w, y + h].map(Math.round) as [number, number, number, number];
      out.push(`${[x0, y0, x1 - x0, y1 - y0].map((v) => float32Text(Math.fround(v * PX))).join(' ')} re`, 'W* n');
    }
    for (const run of box.runs) {
      const written = writeRun(run, glyphs);
      if (typeof written !== 'string') return written;
      out.push(written);
    }
    out.push('Q');
  }
  return { drawing: out.join('\n'), glyphs };
}

/** One run: `q 3.125 cm colour BT … ET Q`, its glyphs added to `glyphs`. */
function writeRun(run: TextRun, glyphs: Map<Face, Map<number, string>>): string | { not: string } {
  const face = faceOf(run.family, run.weight);
  if (!face) return { not: `the font ${run.family} ${run.weight} is not a pinned face` };
  const cps = [...run.text];
  const ids: number[] = [];
  const advances: number[] = [];
  const hinted = Math.round(run.size);
  for (const ch of cps) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isSelector(cp)) return { not: 'a variation selector' };
    const g = face.font.glyphForCodePoint(cp);
    if (!g || g.id === 0) return { not: `a character outside ${face.pinned.name}` };
    ids.push(g.id);
    advances.push(Math.fround(Math.floor((g.advanceWidth / face.unitsPerEm) * hinted + 0.5) + Math.fround(run.spacing)));
  }
  // The font size as Chromium writes it: cut to 1/100 px.
  const size = Math.floor(run.size * 100 + 1e-6) / 100;
  const own = ids.map((id) => (face.font.getGlyph(id).advanceWidth / face.unitsPerEm) * Math.fround(size));
  const used = glyphs.get(face) ?? new Map<number, string>();
  glyphs.set(face, used);
  cps.forEach((ch, i) => {
    if (!used.has(ids[i] as number)) used.set(ids[i] as number, ch);
  });
  const ascent = Math.round((face.ascent / face.unitsPerEm) * run.size);
  const [r, g, b] = run.color.map((c) => float32Text(Math.fround(c / 255)));
  const out = [
    'q',
    `${PX} 0 0 ${PX} 0 0 cm`,
    `${r} ${g} ${b} RG ${r} ${g} ${b} rg`,
    'BT',
    `/${fontName(face)} ${float32Text(Math.fround(size))} Tf`,
  ];
  let at = 0;
  for (const [left, top, width] of run.lines) {
    let end = at;
    let sum = 0;
    while (end < ids.length && sum < width - LAYOUT_UNIT / 2) sum += advances[end++] as number;
    if (end === at || Math.abs(sum - width) > LAYOUT_UNIT) return { not: 'advances that do not add up to the laid-out width' };
    out.push(`1 0 0 -1 ${float32Text(Math.fround(left))} ${Math.round(top + ascent)} Tm`);
    const line = ids.slice(at, end);
    if (advances.slice(at, end).every((a, i) => a === own[at + i])) out.push(`<${line.map(hex4).join('')}> Tj`);
    else
      line.forEach((id, i) => {
        out.push(i === 0 ? `<${hex4(id)}> Tj` : `${float32Text(Math.fround(advances[at + i - 1] as number))} 0 Td <${hex4(id)}> Tj`);
      });
    at = end;
  }
  if (at !== ids.length) return { not: 'text left over after its lines' };
  out.push('ET', 'Q');
  return out.join('\n');
}

/** The resource name of a face in the written pages. */
function fontName(face: Face): string {
  return `T${face.pinned.weight}${face.pinned.id.replace(/[^a-z]/g, '')}`;
}

const frames = new WeakMap<Uint8Array, Promise<PageFrame>>();

/** A static layer's print (one page): its media box and the transform its drawing starts with. */
export function frameOf(staticPrint: Uint8Array): Promise<PageFrame> {
  let frame = frames.get(staticPrint);
  if (!frame) {
    frame = readFrame(staticPrint);
    frames.set(staticPrint, frame);
  }
  return frame;
}

async function readFrame(staticPrint: Uint8Array): Promise<PageFrame> {
  const doc = await PDFDocument.load(staticPrint, { updateMetadata: false });
  const page = doc.getPage(0);
  const box = page.node
    .MediaBox()
    .asArray()
    .map((n) => (n as PDFNumber).asNumber());
  const contents = page.node.Contents();
  const first = contents instanceof PDFArray ? doc.context.lookup(contents.get(0)) : contents;
  if (!(first instanceof PDFRawStream)) throw new Error('a static print has no content stream');
  const filtered = first.dict.get(PDFName.of('Filter')) !== undefined;
  const text = Buffer.from(filtered ? inflateSync(first.contents) : first.contents).toString('latin1');
  const numbers: string[] = [];
  for (const t of tokens(text)) {
    const word = text.slice(t.start, t.end);
    if (t.kind === 'number') numbers.push(word);
    else if (word === 'cm' && numbers.length === 6) return { mediaBox: box, transform: numbers.join(' ') };
    else numbers.length = 0;
  }
  throw new Error('a static print does not begin with its page transform');
}

/**
 * The variable layer of a chunk as one PDF, a page per page of the chunk, as Chromium's print of it would
 * be: the written pages, and in the places of the others (null), the pages of `printed`, Chromium's print of
 * those alone, in order.
 */
export async function writeTextLayer(
  pages: readonly (WrittenPage | null)[],
  frames: readonly PageFrame[],
  printed?: Uint8Array,
): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const { context } = doc;
  const used = new Map<Face, Map<number, string>>();
  for (const p of pages)
    for (const [face, glyphs] of p?.glyphs ?? []) {
      const all = used.get(face) ?? new Map<number, string>();
      used.set(face, all);
      for (const [id, ch] of glyphs) if (!all.has(id)) all.set(id, ch);
    }
  const fonts = context.obj({});
  for (const [face, glyphs] of used) fonts.set(PDFName.of(fontName(face)), embedFace(doc, face, glyphs));
  const resources = context.obj({ Font: fonts });
  const others = printed ? await PDFDocument.load(printed, { updateMetadata: false }) : undefined;
  const copied = others ? await doc.copyPages(others, others.getPageIndices()) : [];
  if (copied.length !== pages.filter((p) => p === null).length)
    throw new PrintError('RENDER', `the variable layer printed ${copied.length} pages, expected ${pages.filter((p) => p === null).length}`);
  pages.forEach((p, i) => {
    if (p === null) {
      doc.addPage(copied.shift());
      return;
    }
    const frame = frames[i] as PageFrame;
    const page = doc.addPage([frame.mediaBox[2] as number, frame.mediaBox[3] as number]);
    page.node.set(PDFName.of('MediaBox'), context.obj(frame.mediaBox));
    page.node.set(PDFName.of('Resources'), resources);
    const bytes = deflateSync(Buffer.from(`${frame.transform} cm\n${p.drawing}\n`, 'latin1'));
    page.node.set(
      PDFName.of('Contents'),
      context.register(PDFRawStream.of(context.obj({ Length: bytes.length, Filter: 'FlateDecode' }), bytes)),
    );
  });
  return doc.save({ useObjectStreams: false, addDefaultPage: false });
}

/** A face subset to `glyphs` (ids kept) as a Type 0 font with Identity-H, as Chromium embeds one. */
function embedFace(doc: PDFDocument, face: Face, glyphs: Map<number, string>): PDFRef {
  const { context } = doc;
  const ids = [...glyphs.keys()].sort((a, b) => a - b);
  const program = subsetTrueType(face.bytes, ids);
  const file = deflateSync(program);
  const fontFile = context.register(
    PDFRawStream.of(context.obj({ Length: file.length, Length1: program.length, Filter: 'FlateDecode' }), file),
  );
  const name = `AAAAAA+${face.font.postscriptName}`;
  const scale = 1000 / face.unitsPerEm;
  const bbox = face.font.bbox;
  const descriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: name,
      Flags: 4,
      FontBBox: [bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale],
      ItalicAngle: 0,
      Ascent: face.ascent * scale,
      Descent: hhea(face.font).descent * scale,
      CapHeight: (face.font.capHeight || face.ascent) * scale,
      StemV: 80,
      FontFile2: fontFile,
    }),
  );
  // Widths other than the default, as Chromium writes them: `first last width` for a range of equal ones.
  const widths: number[] = [];
  for (const id of ids) {
    const w = face.font.getGlyph(id).advanceWidth * scale;
    if (w === 1000) continue;
    const n = widths.length;
    if (n && widths[n - 2] === id - 1 && widths[n - 1] === w) widths[n - 2] = id;
    else widths.push(id, id, w);
  }
  const cidFont = context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: name,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      CIDToGIDMap: 'Identity',
      DW: 1000,
      W: widths,
      FontDescriptor: descriptor,
    }),
  );
  const toUnicode = Buffer.from(toUnicodeCMap(ids.map((id) => [id, glyphs.get(id) as string])), 'latin1');
  const cmap = deflateSync(toUnicode);
  return context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: name,
      Encoding: 'Identity-H',
      DescendantFonts: [cidFont],
      ToUnicode: context.register(PDFRawStream.of(context.obj({ Length: cmap.length, Filter: 'FlateDecode' }), cmap)),
    }),
  );
}

/** A ToUnicode CMap (PDF 32000-1, 9.10.3) from glyph ids to their characters. */
function toUnicodeCMap(pairs: [number, string][]): string {
  const utf16 = (s: string) =>
    [...Buffer.from(s, 'utf16le').swap16()]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
  const blocks: string[] = [];
  for (let i = 0; i < pairs.length; i += 100) {
    const part = pairs.slice(i, i + 100);
    blocks.push(`${part.length} beginbfchar\n${part.map(([id, ch]) => `<${hex4(id)}> <${utf16(ch)}>`).join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    ...blocks,
    'endcmap',
    'CMapName currentdict /CIDResource defineresource pop',
    'end',
    'end',
  ].join('\n');
}
