// The glyph writer (engine/pdf/text-layer.ts): a chunk's variable layer written from the laid-out text and
// the pinned fonts, without Chromium's print, where a page's record boxes are plain text. Each layout's
// samples are printed both ways and read back by MuPDF (`mutool trace`, an independent reader): every page
// draws the same glyphs (font, id, character), at the same places (1/1000 px), the same sizes and
// colours, under the same clips. The goldens and print-once.test.ts compare the pixels.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import { type Engine, type Layout, loadLayouts, loadSamples } from '../engine/index.ts';
import { placeGlyphs, unplaceable, type TextRun } from '../engine/fonts/glyph-runs.ts';
import { sharedEngine } from './helpers/shared-engine.ts';

const layouts = loadLayouts();
/** Layouts whose samples' pages are written whole: text and the QR code, nothing left to Chromium. */
const WHOLLY_WRITTEN = ['kokuho-notice', 'kenpo-notice'];
let engine: Engine;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-text-layer-'));
/** Pages written by the glyph writer, per layout. */
const writtenPages = new Map<string, number>();

beforeAll(async () => {
  engine = await sharedEngine();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What a page draws as MuPDF traces it, one item per glyph and per path, each with the clips it is drawn
 * under, its colour and transform (and a glyph its font, without the subset tag, and size), in an order
 * of their own: the writer draws a page's written boxes after those Chromium prints, not between them.
 */
function drawn(pdf: string, page: number): string[] {
  const xml = execFileSync('mutool', ['trace', pdf, String(page)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const items: string[] = [];
  const clips: string[] = [];
  let collecting: string[] | undefined;
  let text = '';
  let span = '';
  for (const raw of xml.split('\n').slice(1)) {
    const line = raw.trim().replace(/\b[A-Z]{6}\+/g, '');
    if (collecting && !line.startsWith('</')) collecting.push(line);
    else if (line.startsWith('<clip_path') || line.startsWith('<fill_path') || line.startsWith('<stroke_path')) collecting = [line];
    else if (line.startsWith('</clip_path')) {
      clips.push((collecting ?? []).join(' '));
      collecting = undefined;
    } else if (line.startsWith('</fill_path') || line.startsWith('</stroke_path')) {
      items.push(`${clips.join(' | ')} :: ${(collecting ?? []).join(' ')}`);
      collecting = undefined;
    } else if (line.startsWith('<pop_clip')) clips.pop();
    else if (line.startsWith('<fill_text')) text = line;
    else if (line.startsWith('<span')) span = line;
    else if (line.startsWith('<g ')) items.push(`${clips.join(' | ')} :: ${text} ${span} ${line}`);
  }
  const key = (s: string) => s.replace(/-?\d*\.?\d+/g, (n) => Number(n).toFixed(2));
  return items.sort((x, y) => key(x).localeCompare(key(y)));
}

/** Whether two items say the same, numbers within `eps`. */
function sameLine(a: string, b: string, eps: number): boolean {
  const NUM = /-?\d*\.?\d+(?:e-?\d+)?/g;
  if (a.replace(NUM, '#') !== b.replace(NUM, '#')) return false;
  const x = a.match(NUM) ?? [];
  const y = b.match(NUM) ?? [];
  return x.every((v, i) => Math.abs(Number(v) - Number(y[i])) <= eps);
}

/** Pages (0-based) that draw something Chromium printed of their own (its print's graphics states: /ExtGState). */
function pagesPrinted(doc: PDFDocument): number[] {
  return doc.getPages().flatMap((p, i) => (p.node.Resources()?.get(PDFName.of('ExtGState')) ? [i] : []));
}

/** Pages (0-based) whose fonts include one the glyph writer embedded (its resource names: /T400…). */
function pagesWritten(doc: PDFDocument): number[] {
  return doc.getPages().flatMap((p, i) => {
    const fonts = p.node.Resources()?.lookup(PDFName.of('Font'));
    return fonts instanceof PDFDict && fonts.keys().some((k) => /^\/T\d{3}/.test(k.toString())) ? [i] : [];
  });
}

describe('the glyph writer', () => {
  it.each([...layouts.values()].map((l) => [l.id, l] as const))(
    '%s: its samples draw the same glyphs in the same places written as printed by Chromium',
    async (id, layout: Layout) => {
      const records = loadSamples(layout);
      const chromium = await engine.renderPdf(layout, records, { chromiumText: true });
      const written = await engine.renderPdf(layout, records);
      expect(written.pageCount).toBe(chromium.pageCount);
      const [a, b] = [join(dir, `${id}-chromium.pdf`), join(dir, `${id}-written.pdf`)];
      writeFileSync(a, chromium.pdf);
      writeFileSync(b, written.pdf);
      expect(pagesWritten(await PDFDocument.load(chromium.pdf))).toEqual([]);
      const doc = await PDFDocument.load(written.pdf);
      const pages = pagesWritten(doc);
      writtenPages.set(id, pages.length);
      if (WHOLLY_WRITTEN.includes(id)) expect(pagesPrinted(doc), 'pages with a box Chromium printed').toEqual([]);
      for (const i of pages) {
        const [x, y] = [drawn(a, i + 1), drawn(b, i + 1)];
        expect(y.length, `page ${i + 1}: glyphs and paths drawn`).toBe(x.length);
        const differ = x.findIndex((line, k) => !sameLine(line, y[k] as string, 1e-3));
        expect(differ === -1 ? undefined : `page ${i + 1}:\n  chromium ${x[differ]}\n  written  ${y[differ]}`).toBeUndefined();
      }
    },
    60_000,
  );

  it('writes the card layouts’ pages of plain text (every sample but an MJ name, a fitted name or a drawn mark)', () => {
    for (const id of ['kokuho-card', 'kenpo-card', 'kouki-card']) expect(writtenPages.get(id), id).toBeGreaterThan(0);
  });
});

describe('a box the writer leaves to Chromium', () => {
  const run = (o: Partial<TextRun>): TextRun => ({
    text: '山田太郎',
    family: 'bizud-mincho',
    weight: 400,
    size: 10,
    spacing: 0,
    color: [0, 0, 0],
    lines: [[10, 20, 40]],
    ...o,
  });
  const plan = (r: TextRun) => placeGlyphs({ boxes: [{ clip: [0.4, 0.6, 100, 20], runs: [r] }, { not: 'a svg element' }] });

  it('is written when the advances add up to the laid-out width; a box that is no text is left', () => {
    const page = plan(run({}));
    // the clip snapped to whole pixels; the baseline the line's top plus the ascent (0.88 em), rounded
    expect(page.boxes[0]?.clip).toEqual([0, 1, 100, 20]);
    expect(page.boxes[0]?.runs[0]?.lines).toEqual([
      expect.objectContaining({ x: 10, baseline: 29, advances: [10, 10, 10, 10], own: true }),
    ]);
    expect(page.boxes[1]).toBeNull();
    expect([...page.chars.values()].map((m) => [...m.values()].join(''))).toEqual(['山田太郎']);
  });

  it.each([
    ['a character outside the face', run({ text: '山田𠮷郎', lines: [[10, 20, 40]] }), 'a character outside'],
    ['a width the advances do not make (kerning, justification)', run({ lines: [[10, 20, 41]] }), 'do not add up'],
    ['a face that is not pinned', run({ family: 'serif' }), 'not a pinned face'],
    ['a variation selector', run({ text: '葛\u{E0100}', lines: [[10, 20, 10]] }), 'variation selector'],
    ['text left after its lines', run({ lines: [[10, 20, 20]] }), 'left over'],
  ])('%s', (_what, r, why) => {
    expect(plan(r).boxes[0]).toBeNull();
    expect(unplaceable(r)).toContain(why);
  });
});
