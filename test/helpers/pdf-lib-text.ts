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
