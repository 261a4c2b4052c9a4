import { deflateSync } from 'node:zlib';
import { PDFArray, PDFBool, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFString, type PDFRef } from 'pdf-lib';
import { WRITTEN, decoded, resourcesOf } from './compose-layers.ts';
import { PrintError } from '../errors.ts';
import { addChars, type Face, type GlyphPage } from '../fonts/glyph-runs.ts';
import { float32Text, tokens } from './content-offset.ts';
import { subsetTrueType } from './own-glyphs.ts';

/**
 * The glyph writer: a chunk's variable layer (engine/browser/layers.ts) written from the glyphs placed by
 * engine/fonts/glyph-runs.ts, without Chromium's print, as Chromium would print it: each record box clipped
 * (`q x y w h re W* n`, CSS px × 3.125), each run in CSS px (`3.125 0 0 3.125 0 0 cm`) in its colour (stroke
 * and fill), `/font size Tf`, a `1 0 0 -1 x y Tm` per line, then one `<glyphs> Tj` when every advance is the
 * font's own width, else `a 0 Td <glyph> Tj` glyph by glyph; the faces subset to the glyphs drawn, glyph
 * ids kept (HarfBuzz's subsetter, as Chromium's Skia), as Type 0 fonts with Identity-H. The engine gives
 * it to the browser stage (engine/browser/tab-pool.ts, VariableLayerWriter).
 */

const PX = 3.125;

/** Hex of a glyph id, as Identity-H shows it. */
const hex4 = (gid: number) => gid.toString(16).toUpperCase().padStart(4, '0');

/** Where a page's units are: its media box and the transform of its drawing (from its static layer's print). */
interface PageFrame {
  mediaBox: number[];
  transform: string;
  /** The page's own clip (its width and height in the page's units), which every box's clip is cut to. */
  width: number;
  height: number;
}

/** A page's glyphs as Chromium draws them, without the page transform. */
function drawingOf(page: GlyphPage, frame: PageFrame): string {
  const out: string[] = [];
  for (const box of page.boxes) {
    if (!box) continue;
    out.push('q');
    // A box that clips is cut to the page, as Chromium clips one that reaches past it; one that does not
    // is clipped to the page.
    if (!box.clip) out.push(`0 0 ${float32Text(frame.width)} ${float32Text(frame.height)} re`, 'W* n');
    else {
      const [x, y, w, h] = box.clip;
      const [x0, y0] = [Math.max(0, Math.fround(x * PX)), Math.max(0, Math.fround(y * PX))];
      const [x1, y1] = [Math.min(frame.width, Math.fround((x + w) * PX)), Math.min(frame.height, Math.fround((y + h) * PX))];
      out.push(`${[x0, y0, Math.fround(x1 - x0), Math.fround(y1 - y0)].map(float32Text).join(' ')} re`, 'W* n');
    }
    if (box.qr && box.clip) {
      // The SVG drawn from its place snapped to whole px, a module a unit: its white square, then its modules
      // as one path (a run a subpath, closed back to its start), filled once.
      const { modules, scale, runs } = box.qr;
      const s = float32Text(scale);
      out.push('q', `${s} 0 0 ${s} ${float32Text(box.clip[0] * PX)} ${float32Text(box.clip[1] * PX)} cm`);
      out.push('1 1 1 RG 1 1 1 rg', `0 0 ${modules} ${modules} re`, 'f', '0 0 0 RG 0 0 0 rg');
      for (const [x, y, w] of runs)
        out.push(`${x} ${y} m`, `${x + w} ${y} l`, `${x + w} ${y + 1} l`, `${x} ${y + 1} l`, `${x} ${y} l`, 'h');
      if (runs.length) out.push('f');
      out.push('Q');
    }
    for (const run of box.runs) {
      const [r, g, b] = run.color.map((c) => float32Text(Math.fround(c / 255)));
      out.push(
        'q',
        `${PX} 0 0 ${PX} 0 0 cm`,
        `${r} ${g} ${b} RG ${r} ${g} ${b} rg`,
        'BT',
        `/${fontName(run.face)} ${float32Text(run.size)} Tf`,
      );
      for (const line of run.lines) {
        out.push(`1 0 0 -1 ${float32Text(line.x)} ${line.baseline} Tm`);
        if (line.own) out.push(`<${line.glyphs.map(hex4).join('')}> Tj`);
        else
          line.glyphs.forEach((id, i) =>
            out.push(i === 0 ? `<${hex4(id)}> Tj` : `${float32Text(line.advances[i - 1] as number)} 0 Td <${hex4(id)}> Tj`),
          );
      }
      out.push('ET', 'Q');
    }
    out.push('Q');
  }
  return out.join('\n');
}

/** The resource name of a face in the written pages. */
function fontName(face: Face): string {
  return `T${face.pinned.weight}${face.pinned.id.replace(/[^a-z]/g, '')}`;
}

const frames = new WeakMap<Uint8Array, Promise<PageFrame>>();

/** A static layer's print (one page): its media box and the transform its drawing starts with. */
function frameOf(staticPrint: Uint8Array): Promise<PageFrame> {
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
  const text = decoded(contents instanceof PDFArray ? doc.context.lookup(contents.get(0)) : contents);
  // `a b c d e f cm` then the page's clip `0 0 w h re W* n`
  const numbers: string[] = [];
  let transform: string | undefined;
  for (const t of tokens(text)) {
    const word = text.slice(t.start, t.end);
    if (t.kind === 'number') numbers.push(word);
    else if (word === 'cm' && numbers.length === 6 && transform === undefined) transform = numbers.join(' ');
    else if (word === 're' && numbers.length === 4 && transform !== undefined)
      return { mediaBox: box, transform, width: Math.fround(Number(numbers[2])), height: Math.fround(Number(numbers[3])) };
    if (t.kind !== 'number') numbers.length = 0;
  }
  throw new PrintError('RENDER', 'a static layer print does not begin with its page transform and clip');
}

/**
 * The variable layer of a chunk as one PDF, a page per page of the chunk, as Chromium's print of it would
 * be: the pages placed (`pages[i]`, in the frame of its static layer's print `staticPrints[i]`), each over
 * the next page of `printed` when a box of it was left to Chromium (null), and in the places of pages with
 * nothing placed (null), the next page of `printed` alone. `printed` is Chromium's print of those pages.
 */
export async function writeTextLayer(
  pages: readonly (GlyphPage | null)[],
  staticPrints: readonly Uint8Array[],
  printed: Uint8Array | undefined,
): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const { context } = doc;
  const used = new Map<Face, Map<number, string>>();
  for (const p of pages) if (p) addChars(used, p.chars);
  const fonts = context.obj({});
  for (const [face, glyphs] of used) fonts.set(PDFName.of(fontName(face)), embedFace(doc, face, glyphs));
  const resources = context.obj({ Font: fonts });
  const others = printed ? await PDFDocument.load(printed, { updateMetadata: false }) : undefined;
  const copied = others ? await doc.copyPages(others, others.getPageIndices()) : [];
  const wanted = pages.filter((p) => p === null || p.boxes.includes(null)).length;
  if (copied.length !== wanted) throw new PrintError('RENDER', `the variable layer printed ${copied.length} pages, expected ${wanted}`);
  const stream = (text: string) => {
    const bytes = deflateSync(Buffer.from(text, 'latin1'));
    return context.register(PDFRawStream.of(context.obj({ Length: bytes.length, Filter: 'FlateDecode' }), bytes));
  };
  /** What a page that is partly Chromium's draws its print in (it leaves its page transform set): one pair a chunk. */
  let wrap: [PDFRef, PDFRef] | undefined;
  for (const [i, p] of pages.entries()) {
    if (p === null) {
      doc.addPage(copied.shift());
      continue;
    }
    const frame = await frameOf(staticPrints[i] as Uint8Array);
    const drawing = `${frame.transform} cm\n${drawingOf(p, frame)}\n`;
    if (p.boxes.includes(null)) {
      // Chromium's print of the other boxes of the page, in q … Q, then the written ones, with their fonts
      // added to the page's.
      const page = doc.addPage(copied.shift());
      const contents = page.node.get(PDFName.of('Contents'));
      const theirs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
      wrap ??= [stream('q\n'), stream('\nQ\n')];
      page.node.set(PDFName.of('Contents'), context.obj([wrap[0], ...theirs, wrap[1], stream(drawing)]));
      const pageFonts = resourcesOf(context, page.node, 'Font');
      for (const [name, ref] of fonts.entries()) pageFonts.set(name, ref);
      continue;
    }
    // Written whole: its drawing is already what compose-layers.ts makes of a page (numbers as float32's
    // shortest text, no place in a print), so it is written so and marked, and compose takes it as it is.
    const page = doc.addPage([frame.mediaBox[2] as number, frame.mediaBox[3] as number]);
    page.node.set(PDFName.of('MediaBox'), context.obj(frame.mediaBox));
    page.node.set(PDFName.of('Resources'), resources);
    page.node.set(PDFName.of('Contents'), stream(`q\n${drawing}\nQ\n`));
    page.node.set(WRITTEN, PDFBool.True);
  }
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
      Descent: face.descent * scale,
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
