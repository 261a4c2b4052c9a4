// Reading back, in process, what pdf-lib drew with one embedded subset font (the mailing summary, the
// calibration sheet): the font's program and CID → text map, a page's content, and the strings it draws.
// Unit tests use it instead of poppler, which they may not start.
import { decodePDFRawStream, PDFArray, PDFDict, PDFName, PDFRawStream, type PDFDocument, type PDFObject, type PDFRef } from 'pdf-lib';

/** The one Type0 font of the document: its name, its TrueType program and its CID → text map. */
export function subsetFont(doc: PDFDocument): { baseFont: string; program: Uint8Array; toUnicode: Map<number, string> } {
  const type0 = doc.context
    .enumerateIndirectObjects()
    .map(([, o]) => o)
    .find((o): o is PDFDict => o instanceof PDFDict && o.get(PDFName.of('Subtype')) === PDFName.of('Type0'));
  if (!type0) throw new Error('no Type0 font');
  const cidFont = doc.context.lookup(type0.lookup(PDFName.of('DescendantFonts'), PDFArray).get(0), PDFDict);
  const descriptor = cidFont.lookup(PDFName.of('FontDescriptor'), PDFDict);
  const program = decodedBytes(descriptor.lookup(PDFName.of('FontFile2')));
  const toUnicode = new Map<number, string>();
  for (const m of decoded(type0.lookup(PDFName.of('ToUnicode'))).matchAll(/<([0-9A-F]{4})> <([0-9A-F]+)>/g)) {
    const units = (m[2]?.match(/.{4}/g) ?? []).map((u) => parseInt(u, 16));
    toUnicode.set(parseInt(m[1] ?? '', 16), String.fromCharCode(...units));
  }
  return { baseFont: type0.lookup(PDFName.of('BaseFont'), PDFName).decodeText(), program, toUnicode };
}

/** Page `index`'s content streams (0-based), decoded and joined. */
export function pageContents(doc: PDFDocument, index: number): string {
  const c = doc.getPage(index).node.get(PDFName.of('Contents'));
  const refs = c instanceof PDFArray ? c.asArray() : [c];
  return refs.map((ref) => decoded(doc.context.lookup(ref))).join('\n');
}

/** Every string page `index` draws, in drawing order (pdf-lib draws each as one `<hex> Tj`). */
export function drawnStrings(doc: PDFDocument, index: number, toUnicode: Map<number, string>): string[] {
  return [...pageContents(doc, index).matchAll(/<([0-9A-F]*)> Tj/g)].map((m) =>
    (m[1]?.match(/.{4}/g) ?? []).map((cid) => toUnicode.get(parseInt(cid, 16)) ?? '?').join(''),
  );
}

function decodedBytes(o: PDFObject | undefined): Uint8Array {
  if (!(o instanceof PDFRawStream)) throw new Error(`not a stream: ${String(o)}`);
  return decodePDFRawStream(o).decode();
}

function decoded(o: PDFObject | PDFRef | undefined): string {
  return Buffer.from(decodedBytes(o as PDFObject)).toString('latin1');
}

/** One string drawn: the BaseFont it is set in, the text, where its baseline starts (pt, from the bottom left) and its size. */
export interface DrawnRun {
  font: string;
  text: string;
  x: number;
  y: number;
  size: number;
}

/**
 * Every string page `index` draws, in drawing order, read through the CID → text map of the font it is set
 * in: for documents of several fonts (the receipt list's Gothic, its bold and IPAmj Mincho).
 */
export function drawnRuns(doc: PDFDocument, index: number): DrawnRun[] {
  const page = doc.getPage(index);
  const fonts = page.node.Resources()?.lookup(PDFName.of('Font'), PDFDict);
  const maps = new Map<string, { font: string; toUnicode: Map<number, string> }>();
  const fontOf = (key: string) => {
    let found = maps.get(key);
    if (!found) {
      const dict = fonts?.lookup(PDFName.of(key), PDFDict);
      if (!dict) throw new Error(`no font ${key} on page ${index}`);
      const toUnicode = new Map<number, string>();
      for (const m of decoded(dict.lookup(PDFName.of('ToUnicode'))).matchAll(/<([0-9A-F]{4})> <([0-9A-F]+)>/g)) {
        const units = (m[2]?.match(/.{4}/g) ?? []).map((u) => parseInt(u, 16));
        toUnicode.set(parseInt(m[1] ?? '', 16), String.fromCharCode(...units));
      }
      found = { font: dict.lookup(PDFName.of('BaseFont'), PDFName).decodeText(), toUnicode };
      maps.set(key, found);
    }
    return found;
  };
  const out: DrawnRun[] = [];
  let font: { font: string; toUnicode: Map<number, string> } | undefined;
  let size = 0;
  let [x, y] = [0, 0];
  for (const m of pageContents(doc, index).matchAll(/\/(\S+) ([\d.]+) Tf|1 0 0 1 (-?[\d.]+) (-?[\d.]+) Tm|<([0-9A-F]*)> Tj/g)) {
    if (m[1] !== undefined) {
      font = fontOf(m[1]);
      size = Number(m[2]);
    } else if (m[3] !== undefined) [x, y] = [Number(m[3]), Number(m[4])];
    else if (font) {
      const map = font.toUnicode;
      const text = (m[5]?.match(/.{4}/g) ?? []).map((cid) => map.get(parseInt(cid, 16)) ?? '?').join('');
      out.push({ font: font.font, text, x, y, size });
    }
  }
  return out;
}
