import { deflateSync, inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFContext } from 'pdf-lib';

// A colour set with three equal components: `0 0 0 rg`, `.6 .6 .6 RG` (Chromium writes equal values alike).
const NEUTRAL_RGB = /(^|[\s\]>)])(-?\d*\.?\d+) \2 \2 (rg|RG)(?=[\s[<(/]|$)/g;

/**
 * Restates every neutral RGB colour of the pages' drawing (R = G = B: black text and rules, the #999 row
 * rules) as the same DeviceGray value. This is no colour conversion: the colour stays what it was. It
 * lets the press step (engine/output/press-colour.ts) print them in K only, since Ghostscript turns
 * DeviceGray into K alone in CMYK output, while RGB black would become rich black on all four plates.
 * Only page contents and form XObjects are touched; fonts and images are left as they are.
 */
export function neutralRgbToGray(context: PDFContext, pages: readonly PDFDict[]): void {
  const done = new Set<PDFRef>();
  const visit = (ref: unknown): void => {
    if (!(ref instanceof PDFRef) || done.has(ref)) return;
    done.add(ref);
    const stream = context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) return;
    rewrite(context, ref, stream);
    const resources = stream.dict.lookup(PDFName.of('Resources'));
    if (resources instanceof PDFDict) visitXObjects(resources);
  };
  const visitXObjects = (resources: PDFDict): void => {
    const xobjects = resources.lookup(PDFName.of('XObject'));
    if (!(xobjects instanceof PDFDict)) return;
    for (const [, value] of xobjects.entries()) {
      const x = context.lookup(value);
      if (x instanceof PDFRawStream && x.dict.get(PDFName.of('Subtype')) === PDFName.of('Form')) visit(value);
    }
  };
  for (const page of pages) {
    const contents = page.get(PDFName.of('Contents'));
    if (contents instanceof PDFArray) contents.asArray().forEach(visit);
    else visit(contents);
    const resources = page.lookup(PDFName.of('Resources'));
    if (resources instanceof PDFDict) visitXObjects(resources);
  }
}

function rewrite(context: PDFContext, ref: PDFRef, stream: PDFRawStream): void {
  const filter = stream.dict.get(PDFName.of('Filter'));
  const flate = filter === PDFName.of('FlateDecode');
  if (filter !== undefined && !flate) return; // a filter this step does not read: left alone
  const text = Buffer.from(flate ? inflateSync(stream.contents) : stream.contents).toString('latin1');
  const gray = text.replace(NEUTRAL_RGB, (_m, before: string, v: string, op: string) => `${before}${v} ${op === 'rg' ? 'g' : 'G'}`);
  if (gray === text) return;
  const bytes = flate ? deflateSync(Buffer.from(gray, 'latin1')) : Buffer.from(gray, 'latin1');
  const dict = stream.dict.clone(context);
  dict.set(PDFName.of('Length'), PDFNumber.of(bytes.length));
  context.assign(ref, PDFRawStream.of(dict, bytes));
}
