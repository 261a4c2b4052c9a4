// Rules print at the width and place their layout declares, measured from the PDFs' drawing commands:
// Chromium would snap every CSS border to 1 CSS px (0.265 mm) and its position to 1/96 in
// (engine/browser/rules.ts draws them exactly instead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDict, PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import {
  type Engine,
  type Layout,
  DEFAULT_ENVELOPE,
  getEnvelope,
  loadEnvelopes,
  loadLayouts,
  loadSamples,
  windowOnSheet,
} from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { filledRects, rulesOf } from './helpers/pdf-drawing.ts';
import { pageCount } from './helpers/poppler.ts';

const TOLERANCE_MM = 0.01;
const layouts = [...loadLayouts().values()];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-rules-'));
let engine: Engine;
const pdfs = new Map<string, string>();

beforeAll(async () => {
  engine = await sharedEngine();
  for (const layout of layouts) {
    const pdf = join(dir, `${layout.id}.pdf`);
    writeFileSync(pdf, (await engine.renderPdf(layout.id, loadSamples(layout))).pdf);
    pdfs.set(layout.id, pdf);
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The border widths a layout's stylesheets declare, in mm. */
function declaredWidths(layoutId: string): number[] {
  const layout = layouts.find((l) => l.id === layoutId);
  if (!layout) throw new Error(layoutId);
  // A carrier's pages hold the documents it carries, drawn by their own CSS.
  const carried = layout.mailer?.carries.layout;
  if (carried) return [...new Set([...declaredWidths(carried), ...ownWidths(layout)])];
  return ownWidths(layout);
}

function ownWidths(layout: Layout): number[] {
  return [
    ...new Set([...layout.css.matchAll(/border(?:-(?:top|right|bottom|left))?(?:-width)?\s*:\s*([\d.]+)mm/g)].map((m) => Number(m[1]))),
  ];
}

const pdfOf = (id: string) => {
  const pdf = pdfs.get(id);
  if (!pdf) throw new Error(`no PDF for ${id}`);
  return pdf;
};

/**
 * Whether a rectangle lies where a carrier's envelope window can show the sheet: there stands only the 宛名
 * block (address-block.test.ts), whose bars are the カスタマバーコード, not rules of the CSS.
 */
function inWindow(layoutId: string, r: { x: number; y: number; width: number; height: number }): boolean {
  if (layouts.find((l) => l.id === layoutId)?.document !== 'mailer') return false;
  const envelope = getEnvelope(loadEnvelopes(), DEFAULT_ENVELOPE);
  const w = windowOnSheet(envelope);
  const [px, py] = [envelope.playMm.x, envelope.playMm.y];
  return r.x >= w.x - px && r.y >= w.y - py && r.x + r.width <= w.x + w.width + px && r.y + r.height <= w.y + w.height + py;
}

describe('rules', () => {
  for (const layout of layouts) {
    it(`of ${layout.id} are each as thick as a width its CSS declares (±${TOLERANCE_MM} mm), on every page`, async () => {
      const declared = declaredWidths(layout.id);
      expect(declared.length).toBeGreaterThan(0);
      const pdf = pdfOf(layout.id);
      const wrong: string[] = [];
      let seen = 0;
      for (let page = 1; page <= pageCount(pdf); page++) {
        for (const r of rulesOf(await filledRects(pdf, page))) {
          if (inWindow(layout.id, r)) continue;
          seen++;
          if (!declared.some((w) => Math.abs(w - r.thickness) <= TOLERANCE_MM)) {
            wrong.push(
              `page ${page}: ${r.thickness.toFixed(4)} mm at ${r.x.toFixed(2)}, ${r.y.toFixed(2)} (declared: ${declared.join(', ')})`,
            );
          }
        }
      }
      expect(seen).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    });
  }

  it('of the card front are where the layout puts them: the title rule 0.2 mm ending 13.4 mm down, rows 3.85 mm apart at 0.1 mm', async () => {
    const rules = rulesOf(await filledRects(pdfOf('kokuho-card'), 1)).filter((r) => r.horizontal);
    const title = rules.find((r) => Math.abs(r.thickness - 0.2) <= TOLERANCE_MM);
    expect(title).toBeDefined();
    // padding-top 3 mm + header 10.4 mm: the rule lies inside the header's box, ending at its foot
    expect(Math.abs((title?.y ?? 0) + (title?.height ?? 0) - 13.4)).toBeLessThanOrEqual(TOLERANCE_MM);
    const rows = rules
      .filter((r) => Math.abs(r.thickness - 0.1) <= TOLERANCE_MM)
      .map((r) => r.y)
      .sort((a, b) => a - b);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const pitches = rows.slice(1, 6).map((y, i) => y - (rows[i] as number));
    for (const p of pitches) expect(Math.abs(p - 3.85)).toBeLessThanOrEqual(TOLERANCE_MM);
  });

  it('of the notice table are 0.25 mm, 8.4 mm apart (not 8.46 / 8.22), the outer line centred on the 18 mm margin', async () => {
    const rules = rulesOf(await filledRects(pdfOf('kokuho-notice'), 1)).filter((r) => Math.abs(r.thickness - 0.25) <= TOLERANCE_MM);
    const centres = [...new Set(rules.filter((r) => r.horizontal).map((r) => (r.y + r.height / 2).toFixed(3)))]
      .map(Number)
      .sort((a, b) => a - b);
    expect(centres.length).toBeGreaterThanOrEqual(7);
    for (let i = 1; i < centres.length; i++) {
      expect(Math.abs((centres[i] as number) - (centres[i - 1] as number) - 8.4)).toBeLessThanOrEqual(TOLERANCE_MM);
    }
    const left = Math.min(...rules.filter((r) => !r.horizontal).map((r) => r.x + r.width / 2));
    expect(Math.abs(left - 18)).toBeLessThanOrEqual(TOLERANCE_MM);
    const head = rulesOf(await filledRects(pdfOf('kokuho-notice'), 1)).find((r) => Math.abs(r.thickness - 0.4) <= TOLERANCE_MM);
    expect(head).toBeDefined();
  });

  it('of the card back: the 備考 box and donor frame 0.2 mm, the 備考 divider 0.15 mm, the two signature lines 0.2 mm', async () => {
    const rules = rulesOf(await filledRects(pdfOf('kokuho-card'), 2));
    const count = (mm: number, horizontal: boolean) =>
      rules.filter((r) => r.horizontal === horizontal && Math.abs(r.thickness - mm) <= TOLERANCE_MM).length;
    expect(count(0.15, false)).toBe(1);
    // box and frame: 2 + 2 horizontal sides; the signature lines: 2 more
    expect(count(0.2, true)).toBe(6);
    expect(count(0.2, false)).toBe(4);
  });

  it('leave nothing invisible behind: no fill or stroke with alpha 0 (what a transparent CSS border prints as)', async () => {
    for (const layout of layouts) {
      const doc = await PDFDocument.load(readFileSync(pdfOf(layout.id)));
      const invisible: string[] = [];
      for (const [ref, obj] of doc.context.enumerateIndirectObjects()) {
        if (!(obj instanceof PDFDict) || (obj.get(PDFName.of('Type')) !== PDFName.of('ExtGState') && !obj.has(PDFName.of('ca')))) continue;
        for (const key of ['ca', 'CA']) {
          const v = obj.get(PDFName.of(key));
          if (v instanceof PDFNumber && v.asNumber() === 0) invisible.push(`${layout.id}: ${ref.toString()} /${key} 0`);
        }
      }
      expect(invisible).toEqual([]);
    }
  });
});
