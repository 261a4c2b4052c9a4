// A printed page placed on another: the page as a form XObject that reuses its compressed content, drawn
// into a slot of a sheet. Imposition (imposed-sheets.ts) and a mailing run's carriers (mail-run.ts) use it.
import { deflateSync } from 'node:zlib';
import {
  PDFArray,
  PDFName,
  PDFObjectCopier,
  PDFRawStream,
  PDFRef,
  concatTransformationMatrix,
  decodePDFRawStream,
  drawObject,
  popGraphicsState,
  pushGraphicsState,
  type PDFDocument,
  type PDFPage,
} from 'pdf-lib';
import { mmToPt } from '../pdf/pdf-writer.ts';
import type { SlotRect } from './sheet-plan.ts';

/** A printed page as a form XObject: its trim, from `bottom` up, in the page's own coordinates. */
export interface PageForm {
  ref: PDFRef;
  /** Where the trim starts in the form's coordinates (Chromium's page is a little taller, anchored at its top). */
  bottom: number;
  width: number;
  height: number;
}

/**
 * Makes a chunk's page a form XObject of `out` without decoding it: the page's compressed content stream
 * is reused as it is (pdf-lib's embedPage would inflate and deflate every card again), its resources are
 * copied through the chunk's one copier, and its bounding box is the trim at the page's top-left.
 */
export function pageForm(out: PDFDocument, copier: PDFObjectCopier, page: PDFPage, width: number, height: number): PageForm {
  const node = page.node;
  const bottom = page.getHeight() - height;
  const contents = node.Contents();
  const single = contents instanceof PDFArray ? (contents.size() === 1 ? page.doc.context.lookup(contents.get(0)) : undefined) : contents;
  const raw = single instanceof PDFRawStream ? single : undefined;
  const filter = raw?.dict.get(PDFName.of('Filter'));
  const reusable = raw && (filter === undefined || filter === PDFName.of('FlateDecode'));
  const bytes = reusable ? raw.contents : deflateSync(decodedContents(page));
  const dict = out.context.obj({
    Type: 'XObject',
    Subtype: 'Form',
    BBox: [0, bottom, width, bottom + height],
    Resources: copier.copy(node.Resources() ?? out.context.obj({})),
    Length: bytes.length,
    ...(reusable && filter === undefined ? {} : { Filter: 'FlateDecode' }),
  });
  const ref = out.context.register(PDFRawStream.of(dict, bytes));
  return { ref, bottom, width, height };
}

/** A page's content streams, decoded and joined (when its one stream cannot be reused as it is). */
function decodedContents(page: PDFPage): Buffer {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => page.doc.context.lookup(r)) : [contents];
  return Buffer.concat(
    streams
      .map((st) => (st instanceof PDFRawStream ? Buffer.from(decodePDFRawStream(st).decode()) : Buffer.alloc(0)))
      .flatMap((b) => [b, Buffer.from('\n')]),
  );
}

/**
 * Draws one page into its slot: `rect` is mm from the sheet's top-left; turned slots get the page turned
 * by `turn` degrees (-90 clockwise, 90 counter-clockwise). The transformation maps the form's trim
 * (u from 0, v from its `bottom`) onto the slot.
 */
export function drawInSlot(page: PDFPage, form: PageForm, rect: SlotRect, sheetHeightMm: number, turn: number): void {
  const name = page.node.newXObject('Pg', form.ref);
  const x = mmToPt(rect.x);
  const y = mmToPt(sheetHeightMm - rect.y - rect.height);
  const b = form.bottom;
  let m: [number, number, number, number, number, number];
  if (!rect.rotated) m = [1, 0, 0, 1, x, y - b];
  else if (turn < 0)
    m = [0, -1, 1, 0, x - b, y + form.width]; // clockwise: the page's top edge points right
  else m = [0, 1, -1, 0, x + b + form.height, y]; // counter-clockwise: its top edge points left
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(...m), drawObject(name), popGraphicsState());
}
