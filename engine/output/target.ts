import { PrintError } from '../errors.ts';
import type { ChunkPdf, DocumentInfo, PdfSink } from '../pdf/pdf-writer.ts';
import { PdfWriter } from '../pdf/pdf-writer.ts';
import type { Duplex, SheetSize, SlotOrder } from './sheet-plan.ts';

/** What a render produces besides its records' pages: docs/spec/interfaces.md, "Production output". */
export interface OutputOptions {
  /** Trim pages with 3 mm bleed: TrimBox the exact trim, BleedBox the page. */
  bleed: boolean;
  /** N-up press sheets of this size, with crop marks and a slug. */
  impose?: SheetSize | undefined;
  duplex: Duplex;
  order: SlotOrder;
  /** `press`: K-only black, CMYK through an ICC profile, PDF/X-4 (engine/output/press-colour.ts). */
  color: 'office' | 'press';
  /** PDF/VT-1 on PDF/X-4, one document part per record (engine/pdf/pdfvt.ts); the default of `press`. */
  pdfvt: boolean;
  /** The creation date a PDF/VT file states (SOURCE_DATE_EPOCH, given by the CLI); see documentDate. */
  documentDate?: Date | undefined;
  /** Split output (split-files.ts): a ZIP of one PDF per record, or per N records. */
  split?: Split | undefined;
}

/** How split output groups records into files: one per record, or N records a file. */
export type Split = 'record' | number;

export const OFFICE_OUTPUT: OutputOptions = { bleed: false, duplex: 'long', order: 'sequential', color: 'office', pdfvt: false };

/** Where one record landed on an imposed sheet (docs/spec/interfaces.md, Manifests). */
export interface Placement {
  sheet: number;
  side: 'front' | 'back';
  slot: number;
  /** Trim rectangle [x, y, width, height] in mm from the sheet's top-left corner. */
  trimMm: [number, number, number, number];
}

/** One input record in the output: its pages (1-based, inclusive) and, on sheets, its placements. */
export interface RecordOutput {
  record: number;
  firstPage: number;
  lastPage: number;
  placements?: Placement[];
  /** In split output: the file of the archive that holds the record (its pages are that file's). */
  file?: string;
}

/** What an output target wrote. */
export interface TargetSummary {
  pageCount: number;
  records: RecordOutput[];
}

/**
 * The output stage: it takes the printed chunks, in order, and turns them into what the caller asked
 * for, and it alone knows where each record's pages ended up. Every render path (the CLI, sync renders,
 * jobs, goldens) goes through one.
 */
export interface OutputTarget {
  /** The order the `n` records must be printed in (0-based input positions): imposition may reorder. */
  printOrder(n: number): number[];
  /**
   * Takes one printed chunk: its PDF and its records' 0-based input positions. The PDF holds each record's
   * sides in turn, or, with `pages` (records × sides entries), `pages[k]` is the 0-based page of the PDF
   * that is the k-th of them: equal pages are printed once and named again.
   */
  add(pdf: ChunkPdf, records: readonly number[], pages?: readonly number[]): Promise<void>;
  /** Writes what is left and the end of the file; answers where every record went. */
  finish(info: DocumentInfo): Promise<TargetSummary>;
}

/**
 * The pages of a chunk of `records` records of `sides` sides, as OutputTarget.add takes them: `pages` when
 * given (it must name one page per side of each record), else that many pages in order.
 */
export function chunkPages(records: number, sides: number, pages?: readonly number[]): number | readonly number[] {
  if (pages && pages.length !== records * sides) {
    throw new PrintError('RENDER', `a chunk names ${pages.length} pages for ${records} records of ${sides} sides`);
  }
  return pages ?? records * sides;
}

/** Trim pages, one per side of each record, as the layout draws them: the office and proof output. */
export class TrimPages implements OutputTarget {
  private readonly writer: PdfWriter;
  private readonly records: RecordOutput[] = [];

  constructor(
    sink: PdfSink,
    page: { widthMm: number; heightMm: number },
    private readonly sides: number,
    options: { bleedMm?: number; neutralGray?: boolean } = {},
  ) {
    this.writer = new PdfWriter(sink, page, options);
  }

  printOrder(n: number): number[] {
    return Array.from({ length: n }, (_, i) => i);
  }

  async add(pdf: ChunkPdf, records: readonly number[], pages?: readonly number[]): Promise<void> {
    const first = this.writer.pageCount;
    await this.writer.addChunk(pdf, chunkPages(records.length, this.sides, pages));
    records.forEach((index, k) =>
      this.records.push({ record: index + 1, firstPage: first + k * this.sides + 1, lastPage: first + (k + 1) * this.sides }),
    );
  }

  finish(info: DocumentInfo): Promise<TargetSummary> {
    this.writer.finish(info);
    return Promise.resolve({ pageCount: this.writer.pageCount, records: this.records.sort((a, b) => a.record - b.record) });
  }
}
