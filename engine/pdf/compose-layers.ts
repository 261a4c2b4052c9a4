import { deflateSync, inflateSync } from 'node:zlib';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFObjectCopier,
  PDFRawStream,
  PDFRef,
  type PDFContext,
  type PDFPage,
  type PDFPageLeaf,
} from 'pdf-lib';
import { PrintError } from '../errors.ts';
import { withoutPageOffset } from './content-offset.ts';
import { keepOwnGlyphs, type Drawing } from './own-glyphs.ts';
import type { StaticPage } from '../browser/static-layers.ts';
import type { PageRange } from '../browser/tab-pool.ts';

/**
 * The resource names of a static layer's two forms in every page that draws them: `SPU` or `SPO` and
 * the layer's name (hex). The writer finds the forms by them and writes each once per file (pdf-writer.ts).
 */
const STATIC_FORM_NAME = /^SP[UO][0-9a-f]{16,64}$/;

/** How far a static form's box reaches past its page, in points (staticForm). */
const BBOX_MARGIN = 72;

/**
 * The mark of a page whose one content stream is already its own drawing as composeLayers makes it: in
 * `q … Q`, free of any place in a print, deflated (engine/pdf/text-layer.ts writes such pages). Taken away here.
 */
export const WRITTEN = PDFName.of('ShikakuOwnDrawing');

/** Whether a resource name (without its slash) is a static layer's form. */
export function isStaticFormName(name: string): boolean {
  return STATIC_FORM_NAME.test(name);
}

/**
 * One chunk's pages composed from its two layers (engine/browser/layers.ts): page i of `variable` (the
 * record's boxes alone) drawn between the two parts of the static layer `names[i]`, taken from
 * `staticOf`. Each part becomes one Form XObject of the chunk, named /SPU<name> and
 * /SPO<name> in the resources of every page that draws it; each page's own drawing is freed of its place in the printed
 * document (content-offset.ts), so a record's page has the same content wherever it stood. With `range`,
 * only those pages of `variable` are composed (a counter batch's print: counter-batch.ts), and its fonts
 * keep only the glyphs these pages draw; the other pages are taken out.
 */
export async function composeLayers(
  variable: Uint8Array,
  names: readonly string[],
  staticOf: (name: string) => StaticPage,
  range?: PageRange,
): Promise<PDFDocument> {
  const doc = await PDFDocument.load(variable, { updateMetadata: false });
  const all = doc.getPages();
  // `variable` may hold other prints' pages too (a counter batch): only this print's are composed, and
  // the others are taken out of the document.
  if (range && range.total !== all.length) {
    throw new PrintError('RENDER', `the batch printed ${all.length} pages, expected ${range.total}`);
  }
  const pages = range ? all.slice(range.first, range.first + range.count) : all;
  if (pages.length !== names.length) {
    throw new PrintError('RENDER', `the variable layer printed ${pages.length} pages, expected ${names.length}`);
  }
  const { context } = doc;
  /** For each static layer, its two forms and the streams that draw them. */
  const forms = new Map<string, { under: PDFRef; over: PDFRef; drawUnder: PDFRef; drawOver: PDFRef }>();
  const sources = new Map<Uint8Array, PDFDocument>();
  const source = async (bytes: Uint8Array) => {
    let src = sources.get(bytes);
    if (!src) {
      src = await PDFDocument.load(bytes, { updateMetadata: false });
      sources.set(bytes, src);
    }
    return src;
  };
  const draw = (name: string) => {
    const text = `q /${name} Do Q\n`;
    return context.register(PDFRawStream.of(context.obj({ Length: text.length }), Buffer.from(text, 'latin1')));
  };
  const drawings: Drawing[] = [];
  for (const [i, page] of pages.entries()) {
    const name = names[i] as string;
    let own: PDFRef;
    const contents = page.node.get(PDFName.of('Contents'));
    if (page.node.get(WRITTEN) !== undefined && contents instanceof PDFRef) {
      // Written by the glyph writer as this pass would make it (text-layer.ts): taken as it is.
      page.node.delete(WRITTEN);
      own = contents;
      if (range) drawings.push({ text: decoded(context.lookup(contents)), resources: page.node.Resources() });
    } else {
      const drawing = drawingOf(context, page);
      if (range) drawings.push({ text: drawing, resources: page.node.Resources() });
      own = ownContent(context, drawing);
    }
    let form = forms.get(name);
    if (!form) {
      const at = staticOf(name);
      form = {
        under: staticForm(await source(at.under), context),
        over: staticForm(await source(at.over), context),
        drawUnder: draw(`SPU${name}`),
        drawOver: draw(`SPO${name}`),
      };
      forms.set(name, form);
    }
    const xobjects = resourcesOf(context, page.node, 'XObject');
    xobjects.set(PDFName.of(`SPU${name}`), form.under);
    xobjects.set(PDFName.of(`SPO${name}`), form.over);
    page.node.set(PDFName.of('Contents'), context.obj([form.drawUnder, own, form.drawOver]));
  }
  if (range) {
    for (let i = all.length - 1; i >= 0; i--) if (i < range.first || i >= range.first + range.count) doc.removePage(i);
    // pdf-lib keeps the page list it read first (removePage does not renew it): the output reads it.
    (doc as unknown as { pageCache: { invalidate(): void } }).pageCache.invalidate();
    // The batch's fonts hold every batched print's glyphs: this print keeps only its own (own-glyphs.ts).
    keepOwnGlyphs(context, drawings);
  }
  return doc;
}

/** A printed page's drawing (its content streams joined), freed of its place in the printed document. */
function drawingOf(context: PDFContext, page: PDFPage): string {
  const contents = page.node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  return withoutPageOffset(refs.map((r) => decoded(context.lookup(r))).join('\n'));
}

/** A page's drawing (drawingOf) as one compressed stream. */
function ownContent(context: PDFContext, drawing: string): PDFRef {
  // In q … Q: Chromium's drawing begins with a transform of its own, which the part drawn over it must not get.
  const bytes = deflateSync(Buffer.from(`q\n${drawing}\nQ\n`, 'latin1'));
  return context.register(PDFRawStream.of(context.obj({ Length: bytes.length, Filter: 'FlateDecode' }), bytes));
}

/** A page's resources of one kind (`XObject`, `Font` …), the dictionary and the page's Resources made when missing. */
export function resourcesOf(context: PDFContext, page: PDFPageLeaf, kind: string): PDFDict {
  const resources = page.Resources() ?? context.obj({});
  page.set(PDFName.of('Resources'), resources);
  const found = resources.lookup(PDFName.of(kind));
  if (found instanceof PDFDict) return found;
  const made = context.obj({});
  resources.set(PDFName.of(kind), made);
  return made;
}

/** A content stream's text (latin1): FlateDecode or none. */
export function decoded(stream: unknown): string {
  if (!(stream instanceof PDFRawStream)) throw new PrintError('RENDER', 'a printed page has a content that is no stream');
  const filter = stream.dict.get(PDFName.of('Filter'));
  if (filter !== undefined && filter !== PDFName.of('FlateDecode'))
    throw new PrintError('RENDER', `a printed page's content has the filter ${String(filter)}`);
  return Buffer.from(filter ? inflateSync(stream.contents) : stream.contents).toString('latin1');
}

/**
 * The one page of a static print `src` as a Form XObject in `context`: its drawing (freed of its place)
 * and its resources, in the page's own coordinates (BBox the media box), so that drawing it on a page of
 * the same size puts everything where the page had it.
 */
function staticForm(src: PDFDocument, context: PDFContext): PDFRef {
  const page = src.getPage(0);
  const copier = PDFObjectCopier.for(src.context, context);
  const resources = page.node.Resources();
  const copied = resources ? copier.copy(resources) : context.obj({});
  const bytes = deflateSync(Buffer.from(drawingOf(src.context, page), 'latin1'));
  const box = page.getMediaBox();
  const form = PDFRawStream.of(
    context.obj({
      Type: 'XObject',
      Subtype: 'Form',
      // The page's drawing clips itself; the box only must not: Chromium's page may be a fraction of a
      // point narrower than the layout's (A4 comes out 595.2 pt wide, not 595.28), and what reaches the
      // edge would lose its last fraction of a pixel there.
      BBox: [box.x - BBOX_MARGIN, box.y - BBOX_MARGIN, box.x + box.width + BBOX_MARGIN, box.y + box.height + BBOX_MARGIN],
      Resources: copied,
      Length: bytes.length,
      Filter: 'FlateDecode',
    }),
    bytes,
  );
  return context.register(form);
}
