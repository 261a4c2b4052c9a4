// What a PDF's fonts hold: their characters and the glyphs they have outlines for (a file of one person's
// pages must hold no glyph of anyone else's: engine/pdf/own-glyphs.ts).
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef } from 'pdf-lib';

function streamBytes(s: PDFRawStream): Uint8Array {
  return s.dict.get(PDFName.of('Filter')) ? inflateSync(s.contents) : s.contents;
}

/** The glyph ids with an outline in a TrueType program (its loca table). */
function outlinedGlyphs(font: Uint8Array): number[] {
  const view = Buffer.from(font);
  const tables = new Map<string, number>();
  for (let i = 0; i < view.readUInt16BE(4); i++)
    tables.set(view.toString('latin1', 12 + 16 * i, 16 + 16 * i), view.readUInt32BE(20 + 16 * i));
  const head = tables.get('head') as number;
  const loca = tables.get('loca') as number;
  const count = view.readUInt16BE((tables.get('maxp') as number) + 4);
  const long = view.readInt16BE(head + 50) === 1;
  const at = (g: number) => (long ? view.readUInt32BE(loca + 4 * g) : view.readUInt16BE(loca + 2 * g) * 2);
  return Array.from({ length: count }, (_, g) => g).filter((g) => at(g + 1) > at(g));
}

/** The characters a ToUnicode CMap maps codes to (bfchar and bfrange entries; one UTF-16 unit each). */
function unicodeOf(cmap: string): string[] {
  const chars: string[] = [];
  const unit = (hex: string) => String.fromCharCode(parseInt(hex, 16));
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const m of (block[1] as string).matchAll(/<[0-9A-F]+>\s*<([0-9A-F]+)>/g)) chars.push(unit(m[1] as string));
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
    for (const m of (block[1] as string).matchAll(/<([0-9A-F]+)>\s*<([0-9A-F]+)>\s*<([0-9A-F]+)>/g))
      for (let c = 0; c <= parseInt(m[2] as string, 16) - parseInt(m[1] as string, 16); c++)
        chars.push(String.fromCharCode(parseInt(m[3] as string, 16) + c));
  return chars;
}

/**
 * What a file's fonts hold, one line per font (its name without the subset tag): the characters of its
 * ToUnicode map and the glyphs it has outlines for.
 */
export async function fontContents(pdf: Uint8Array): Promise<{ font: string; glyphs: number[] }[]> {
  const doc = await PDFDocument.load(pdf);
  const found: { font: string; glyphs: number[] }[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Subtype')) !== PDFName.of('Type0')) continue;
    const name = String(object.get(PDFName.of('BaseFont'))).replace(/^\/[A-Z]{6}\+/, '');
    const toUnicode = object.lookup(PDFName.of('ToUnicode')) as PDFRawStream;
    const chars = unicodeOf(Buffer.from(streamBytes(toUnicode)).toString('latin1'))
      .sort()
      .join('');
    const cid = (object.lookup(PDFName.of('DescendantFonts')) as PDFArray).lookup(0) as PDFDict;
    const program = (cid.lookup(PDFName.of('FontDescriptor')) as PDFDict).get(PDFName.of('FontFile2')) as PDFRef;
    found.push({ font: `${name} ${chars}`, glyphs: outlinedGlyphs(streamBytes(doc.context.lookup(program) as PDFRawStream)) });
  }
  return found.sort((a, b) => a.font.localeCompare(b.font));
}
