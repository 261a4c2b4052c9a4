import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, type PDFContext, type PDFObject } from 'pdf-lib';

// Chromium tags the font subsets of every document it prints AAAAAA+, BAAAAA+ … from scratch, so a run
// printed in chunks holds thousands of different subsets under the same few names. A RIP that caches
// fonts by name (PDF 32000-1, 9.6.4 lets it: the tag names the subset) can then draw a name with glyphs
// of another chunk's subset. Each subset is renamed with a tag made from its own contents: equal subsets
// share a name, different ones never do, and the same input still gives the same bytes.

const TAG = /^[A-Z]{6}\+/;

function resolve(context: PDFContext, object: PDFObject | undefined): PDFObject | undefined {
  return object instanceof PDFRef ? context.lookup(object) : object;
}

/** The bytes that make a subset what it is: its font program, its CID → glyph map and its widths. */
function subsetContents(context: PDFContext, cidFont: PDFDict): Uint8Array[] | undefined {
  const descriptor = resolve(context, cidFont.get(PDFName.of('FontDescriptor')));
  if (!(descriptor instanceof PDFDict)) return undefined;
  const program = ['FontFile2', 'FontFile3', 'FontFile']
    .map((k) => resolve(context, descriptor.get(PDFName.of(k))))
    .find((o) => o instanceof PDFRawStream);
  if (!(program instanceof PDFRawStream)) return undefined;
  const map = resolve(context, cidFont.get(PDFName.of('CIDToGIDMap')));
  const widths = resolve(context, cidFont.get(PDFName.of('W')));
  return [program.contents, map instanceof PDFRawStream ? map.contents : Buffer.from(String(map ?? '')), Buffer.from(String(widths ?? ''))];
}

/** Six capital letters from a hash of `parts`. */
function tagOf(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return [...hash.digest().subarray(0, 6)].map((b) => String.fromCharCode(65 + (b % 26))).join('');
}

function retag(dict: PDFDict, key: string, tag: string): void {
  const name = dict.get(PDFName.of(key));
  if (name instanceof PDFName && TAG.test(name.decodeText()))
    dict.set(PDFName.of(key), PDFName.of(name.decodeText().replace(TAG, `${tag}+`)));
}

/**
 * Renames every embedded subset of a composite (Type 0) font in `context` with a tag made from the
 * subset's contents: the Type 0 font, its CID font and its descriptor all carry the new name.
 */
export function tagSubsetsByContents(context: PDFContext): void {
  for (const [, object] of context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Subtype'))?.toString() !== '/Type0') continue;
    const descendants = resolve(context, object.get(PDFName.of('DescendantFonts')));
    const cidFont = descendants instanceof PDFArray ? resolve(context, descendants.get(0)) : undefined;
    if (!(cidFont instanceof PDFDict)) continue;
    const contents = subsetContents(context, cidFont);
    if (!contents) continue;
    const tag = tagOf(contents);
    retag(object, 'BaseFont', tag);
    retag(cidFont, 'BaseFont', tag);
    const descriptor = resolve(context, cidFont.get(PDFName.of('FontDescriptor')));
    if (descriptor instanceof PDFDict) retag(descriptor, 'FontName', tag);
  }
}
