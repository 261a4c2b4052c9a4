import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import bwipjs from 'bwip-js';
import { PDFDocument, PDFObjectCopier, cmyk, type PDFPage } from 'pdf-lib';
import { loadChunk, mmToPt, pagePlan, PdfWriter, type ChunkPdf, type DocumentInfo, type PdfSink } from '../pdf/pdf-writer.ts';
import { PrintError } from '../errors.ts';
import { readPinnedFonts } from '../fonts/fonts.ts';
import {
  backSlot,
  MARK_LENGTH_MM,
  MARK_WIDTH_MM,
  sheetsOf,
  type Duplex,
  type SheetPlan,
  type SlotOrder,
  type SlotRect,
} from './sheet-plan.ts';
import type { OutputTarget, Placement, RecordOutput, TargetSummary } from './target.ts';
import { drawInSlot, pageForm, type PageForm } from './page-form.ts';

/** Marks and slug print in K only: C = M = Y = 0, whatever the colour output. */
const K = cmyk(0, 0, 0, 1);
const SLUG_PT = 6;

/** What an imposed run needs besides the plan. */
export interface ImposeOptions {
  duplex: Duplex;
  order: SlotOrder;
  /** Named in every slug: the output file's or the job's name. */
  name: string;
  /** Restate neutral RGB as gray, for the press step. */
  neutralGray?: boolean;
}

/** One record's printed pages, waiting for its sheet: the chunk document they came from and their index in it. */
interface Pending {
  doc: PDFDocument;
  /** The 0-based page of `doc` for each side of the record. */
  pages: number[];
}

/**
 * Imposed press sheets: the records' pages N-up on the plan's grid, each side of a record on the same
 * slot of its sheet's front and back (mirrored for the flip, so a back lands behind its front), with
 * 日本式トンボ around the grid and a slug below it. Sheets are written as soon as their records are
 * printed: memory holds one chunk and one sheet, whatever the run's length.
 */
export class ImposedSheets implements OutputTarget {
  private readonly writer: PdfWriter;
  private sheets: number[][] = [];
  private nextSheet = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly records = new Map<number, RecordOutput>();

  constructor(
    sink: PdfSink,
    private readonly plan: SheetPlan,
    private readonly sides: number,
    private readonly options: ImposeOptions,
  ) {
    this.writer = new PdfWriter(sink, plan.sheet, { neutralGray: options.neutralGray ?? false });
  }

  printOrder(n: number): number[] {
    this.sheets = sheetsOf(n, this.plan.perSheet, this.options.order);
    return this.sheets.flat().filter((i) => i >= 0);
  }

  async add(pdf: ChunkPdf, records: readonly number[], pages?: readonly number[]): Promise<void> {
    const doc = await loadChunk(pdf);
    const plan = pagePlan(doc, pages ?? records.length * this.sides);
    if (plan.length !== records.length * this.sides) {
      throw new PrintError('RENDER', `a chunk names ${plan.length} pages for ${records.length} records of ${this.sides} sides`);
    }
    records.forEach((index, k) => this.pending.set(index, { doc, pages: plan.slice(k * this.sides, (k + 1) * this.sides) }));
    await this.writeReadySheets(false);
  }

  async finish(info: DocumentInfo): Promise<TargetSummary> {
    await this.writeReadySheets(true);
    this.writer.finish(info);
    return { pageCount: this.writer.pageCount, records: [...this.records.values()].sort((a, b) => a.record - b.record) };
  }

  /** Writes every sheet whose records have all been printed, in sheet order. */
  private async writeReadySheets(last: boolean): Promise<void> {
    const ready: number[] = [];
    for (let s = this.nextSheet; s < this.sheets.length; s++) {
      if (!(this.sheets[s] as number[]).every((i) => i < 0 || this.pending.has(i))) break;
      ready.push(s);
    }
    if (ready.length === 0) {
      if (last && this.nextSheet < this.sheets.length) throw new PrintError('RENDER', `sheet ${this.nextSheet + 1} is missing records`);
      return;
    }
    const out = await PDFDocument.create({ updateMetadata: false });
    // Pages become form XObjects through one copier per source chunk, so each chunk's fonts are copied once.
    const embedded = new Map<number, PageForm[]>();
    const bySource = new Map<PDFDocument, number[]>();
    for (const s of ready) {
      for (const i of this.sheets[s] as number[]) {
        if (i < 0) continue;
        const { doc } = this.pending.get(i) as Pending;
        bySource.set(doc, [...(bySource.get(doc) ?? []), i]);
      }
    }
    const { widthMm: w, heightMm: h } = this.plan.page;
    for (const [doc, indices] of bySource) {
      const copier = PDFObjectCopier.for(doc.context, out.context);
      // A page the chunk printed once for many records (a shared card back) becomes one form, drawn in many slots.
      const forms = new Map<number, PageForm>();
      const formOf = (p: number): PageForm => {
        let form = forms.get(p);
        if (!form) {
          form = pageForm(out, copier, doc.getPage(p), mmToPt(w), mmToPt(h));
          forms.set(p, form);
        }
        return form;
      };
      for (const i of indices) embedded.set(i, (this.pending.get(i) as Pending).pages.map(formOf));
    }
    for (const s of ready) {
      const slots = this.sheets[s] as number[];
      for (let side = 0; side < this.sides; side++) {
        const page = out.addPage([mmToPt(this.plan.sheet.widthMm), mmToPt(this.plan.sheet.heightMm)]);
        const sideName = side === 0 ? 'front' : 'back';
        slots.forEach((i, slot) => {
          if (i < 0) return;
          const rect = side === 0 ? (this.plan.slots[slot] as SlotRect) : backSlot(this.plan, slot, this.options.duplex);
          // A turned page: clockwise on the front; on the back clockwise for a short-edge flip and
          // counter-clockwise for a long-edge one, so that both faces share their top edge.
          const turn = side === 0 || this.options.duplex === 'short' ? -90 : 90;
          drawInSlot(page, (embedded.get(i) as PageForm[])[side] as PageForm, rect, this.plan.sheet.heightMm, turn);
          this.place(i, s, sideName, slot, rect);
        });
        drawMarks(page, this.plan);
        const filled = slots.filter((i) => i >= 0);
        drawSlug(
          page,
          this.plan,
          `${this.options.name}  sheet ${s + 1}/${this.sheets.length}  ${sideName}  records ${Math.min(...filled) + 1}–${Math.max(...filled) + 1}`,
          s + 1,
        );
      }
    }
    for (const s of ready) for (const i of this.sheets[s] as number[]) this.pending.delete(i);
    this.nextSheet = (ready.at(-1) as number) + 1;
    // Embedded pages and the pages' drawing become objects when the document is flushed.
    await out.flush();
    this.writer.addDocument(out, ready.length * this.sides);
  }

  private place(i: number, sheet: number, side: 'front' | 'back', slot: number, rect: SlotRect): void {
    let entry = this.records.get(i);
    const page = sheet * this.sides + (side === 'front' ? 1 : 2);
    if (!entry) {
      entry = { record: i + 1, firstPage: page, lastPage: page, placements: [] };
      this.records.set(i, entry);
    }
    entry.lastPage = Math.max(entry.lastPage, page);
    const placement: Placement = {
      sheet: sheet + 1,
      side,
      slot: slot + 1,
      trimMm: [rect.x, rect.y, rect.width, rect.height].map(round4) as Placement['trimMm'],
    };
    entry.placements?.push(placement);
  }
}

/**
 * 日本式トンボ: at every cut position a line in the margin pointing at it (top and bottom for cuts across
 * the sheet's width, left and right for the others); at the grid's corners a second line at the bleed
 * edge, so each corner shows the double mark of trim and bleed; and a centre cross (十字) on each side.
 * Every line is 0.1 mm, K only, and starts at the bleed edge: nothing is drawn over a page.
 */
function drawMarks(page: PDFPage, plan: SheetPlan): void {
  const H = plan.sheet.heightMm;
  const L = MARK_LENGTH_MM;
  const line = (x1: number, y1: number, x2: number, y2: number) =>
    page.drawLine({
      start: { x: mmToPt(x1), y: mmToPt(H - y1) },
      end: { x: mmToPt(x2), y: mmToPt(H - y2) },
      thickness: mmToPt(MARK_WIDTH_MM),
      color: K,
    });
  const { x: gx, y: gy, width: gw, height: gh } = plan.grid;
  const [right, bottom] = [gx + gw, gy + gh];
  for (const x of [...plan.cutsX, gx, right]) {
    line(x, gy - L, x, gy);
    line(x, bottom, x, bottom + L);
  }
  for (const y of [...plan.cutsY, gy, bottom]) {
    line(gx - L, y, gx, y);
    line(right, y, right + L, y);
  }
  const [cx, cy, c] = [gx + gw / 2, gy + gh / 2, 3];
  for (const [x, y] of [
    [cx, gy - L / 2],
    [cx, bottom + L / 2],
    [gx - L / 2, cy],
    [right + L / 2, cy],
  ] as const) {
    line(x - c, y, x + c, y);
    line(x, y - c, x, y + c);
  }
}

/**
 * The slug, below the bottom marks: what the sheet is, in text, and its number as a Code 128 barcode.
 * The text is drawn as outlines of a pinned face: no font to embed (pdf-lib's own subsetting of BIZ UD
 * loses the glyphs' outlines), K only.
 */
function drawSlug(page: PDFPage, plan: SheetPlan, text: string, sheetNumber: number): void {
  const H = plan.sheet.heightMm;
  const top = plan.grid.y + plan.grid.height + MARK_LENGTH_MM + 2;
  drawOutlinedText(page, text, mmToPt(plan.grid.x), mmToPt(H - top - 2.5), SLUG_PT);
  const barcode = code128Bars(`S${String(sheetNumber).padStart(6, '0')}`);
  const moduleMm = 0.25;
  const heightMm = 5;
  const left = plan.grid.x + plan.grid.width - barcode.width * moduleMm;
  for (const bar of barcode.bars) {
    page.drawRectangle({
      x: mmToPt(left + bar.x * moduleMm),
      y: mmToPt(H - top - heightMm),
      width: mmToPt(bar.width * moduleMm),
      height: mmToPt(heightMm),
      color: K,
    });
  }
}

/** A Code 128 symbol from bwip-js as bars: x and width in modules. */
export function code128Bars(text: string): { width: number; bars: { x: number; width: number }[] } {
  const svg = bwipjs.toSVG({ bcid: 'code128', text, scale: 1, height: 1, includetext: false, paddingwidth: 0, paddingheight: 0 });
  const width = Number(/viewBox="0 0 ([\d.]+) /.exec(svg)?.[1] ?? 0);
  const bars: { x: number; width: number }[] = [];
  for (const m of svg.matchAll(/stroke-width="([\d.]+)" d="([^"]+)"/g)) {
    const w = Number(m[1]);
    for (const x of [...(m[2] ?? '').matchAll(/M([\d.]+) /g)].map((p) => Number(p[1]))) bars.push({ x: x - w / 2, width: w });
  }
  return { width, bars: bars.sort((a, b) => a.x - b.x) };
}

/**
 * Text as filled glyph outlines of BIZ UD Gothic, its baseline at (x, y) in pt: one glyph per character,
 * by the font's character map and advance widths (a slug needs no shaping).
 */
function drawOutlinedText(page: PDFPage, text: string, x: number, y: number, sizePt: number): void {
  let pen = 0;
  for (const ch of text) {
    const glyph = outlineOf(ch, sizePt);
    if (glyph.d) page.drawSvgPath(glyph.d, { x: x + pen, y, color: K });
    pen += glyph.advance;
  }
}

/** Outlines already made, by character and size: a run's slugs repeat the same few characters. */
const glyphOutlines = new Map<string, { d: string; advance: number }>();

function outlineOf(ch: string, sizePt: number): { d: string; advance: number } {
  const key = `${ch}@${sizePt}`;
  let outline = glyphOutlines.get(key);
  if (!outline) {
    const font = slugFont();
    const glyph = font.glyphForCodePoint(ch.codePointAt(0) ?? 0x3f);
    const scale = sizePt / font.unitsPerEm;
    // y-down, as SVG paths are; pdf-lib turns them back up. (fontkit's Path.scale exists but is not typed.)
    const d = (glyph.path as unknown as { scale(x: number, y: number): { toSVG(): string } }).scale(scale, -scale).toSVG();
    outline = { d, advance: glyph.advanceWidth * scale };
    glyphOutlines.set(key, outline);
  }
  return outline;
}

let slugFace: fontkit.Font | undefined;
/** BIZ UD Gothic, a pinned face, for the slug (it names files in Japanese too). */
function slugFont(): fontkit.Font {
  if (!slugFace) {
    const face = readPinnedFonts().find((f) => f.id === 'bizud-gothic' && f.weight === 400);
    if (!face) throw new PrintError('SETUP', 'the pinned BIZ UD Gothic Regular face is not in fonts/fonts.json');
    slugFace = fontkit.create(readFileSync(face.path));
  }
  return slugFace;
}

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
