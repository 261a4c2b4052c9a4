import { PDFDocument } from 'pdf-lib';
import { PrintError } from '../errors.ts';

/** One document printed by Chromium, with the number of pages its records must fill. */
export interface PdfChunk {
  bytes: Uint8Array;
  expectedPages: number;
}

/** Millimetres to PDF points. */
export function mmToPt(mm: number): number {
  return (mm / 25.4) * 72;
}

/** The page size to set on every page, in millimetres. */
export interface PageSizeMm {
  widthMm: number;
  heightMm: number;
}

/** Fixed document information: no dates, so the same input gives the same bytes. */
export interface DocumentInfo {
  title: string;
  subject: string;
}

/**
 * Joins Chromium's chunk PDFs into one document, in order, and makes every page exactly the layout's size.
 * Chromium rounds the page it prints (85.60 × 53.98 mm comes out 242.88 × 153.12 pt instead of
 * 242.65 × 153.01 pt) but lays the content out at the exact CSS size from the top-left corner; so each
 * page's content is moved down by the excess height, keeping its top-left fixed, and all page boxes
 * (Media, Crop, Trim, Bleed) are set to the exact size. Chromium's creation dates are dropped and no
 * random file id is written, so equal input gives byte-identical files.
 */
export async function finishPdf(chunks: readonly PdfChunk[], size: PageSizeMm, info: DocumentInfo): Promise<Uint8Array> {
  const w = mmToPt(size.widthMm);
  const h = mmToPt(size.heightMm);
  const out = await PDFDocument.create({ updateMetadata: false });
  for (const [i, chunk] of chunks.entries()) {
    const src = await PDFDocument.load(chunk.bytes, { updateMetadata: false });
    if (src.getPageCount() !== chunk.expectedPages) {
      // A page more or less means some record's content spilled over a page break: never ship that.
      throw new PrintError('RENDER', `chunk ${i + 1} printed ${src.getPageCount()} pages, expected ${chunk.expectedPages}`);
    }
    const pages = await out.copyPages(src, src.getPageIndices());
    for (const page of pages) {
      const { y, height } = page.getMediaBox();
      const excess = y + height - h;
      if (Math.abs(excess) > 1e-6) page.translateContent(0, -excess);
      page.setMediaBox(0, 0, w, h);
      page.setCropBox(0, 0, w, h);
      page.setBleedBox(0, 0, w, h);
      page.setTrimBox(0, 0, w, h);
      out.addPage(page);
    }
  }
  out.setTitle(info.title);
  out.setSubject(info.subject);
  out.setCreator('shikaku-print');
  out.setProducer('shikaku-print (Chromium, pdf-lib)');
  out.setLanguage('ja');
  return out.save({ useObjectStreams: false });
}
