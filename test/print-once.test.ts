// Print once (engine/browser/layers.ts): each page as its static layer, printed once and shared as a form,
// under and over its variable layer. The same pixels as the page printed whole, the same content wherever
// a record stands, each static form once per file, and no static layer holding anything of the record.
import { beforeAll, describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef } from 'pdf-lib';
import { type Engine, type Layout, loadLayouts, loadSamples, staticLeaks } from '../engine/index.ts';
import { rasterizePdf } from '../engine/png/rasterize.ts';
import { sharedEngine } from './helpers/shared-engine.ts';

const layouts = loadLayouts();
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});

/** The decoded drawing of each stream a page's /Contents names, and the names of the forms its resources hold. */
function pageParts(doc: PDFDocument, index: number): { streams: string[]; forms: string[] } {
  const page = doc.getPage(index).node;
  const contents = page.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
  const streams = refs.map((r) => {
    const s = doc.context.lookup(r) as PDFRawStream;
    const flate = s.dict.get(PDFName.of('Filter')) === PDFName.of('FlateDecode');
    return Buffer.from(flate ? inflateSync(s.contents) : s.contents).toString('latin1');
  });
  const xobjects = page.Resources()?.lookup(PDFName.of('XObject'));
  const forms = xobjects instanceof PDFDict ? xobjects.keys().map((k) => k.decodeText()) : [];
  return { streams, forms: forms.sort() };
}

describe('print once', () => {
  it.each([...layouts.values()].map((l) => [l.id, l] as const))(
    '%s: its samples print the same pixels in two layers as printed whole',
    async (_id, layout: Layout) => {
      const records = loadSamples(layout);
      const layered = await engine.renderPdf(layout, records);
      const whole = await engine.renderPdf(layout, records, { wholePages: true });
      expect(layered.pageCount).toBe(whole.pageCount);
      const a = await rasterizePdf(layered.pdf, layered.pageCount, layout.page, 150);
      const b = await rasterizePdf(whole.pdf, whole.pageCount, layout.page, 150);
      a.forEach((png, i) => expect(Buffer.compare(png, b[i] as Buffer), `page ${i + 1}`).toBe(0));
      // and in two layers indeed: every page draws its static layer's two forms
      const doc = await PDFDocument.load(layered.pdf);
      for (let i = 0; i < doc.getPageCount(); i++)
        expect(pageParts(doc, i).streams.some((s) => /^q \/SPU[0-9a-f]+ Do Q/.test(s))).toBe(true);
    },
    60_000,
  );

  it('gives a record the same page content alone and at any place in a run, and writes each static form once', async () => {
    const layout = layouts.get('kokuho-card') as Layout;
    const samples = loadSamples(layout) as Record<string, unknown>[];
    const run = Array.from({ length: 230 }, (_, i) => ({ ...samples[i % samples.length], number: String(i).padStart(7, '0') }));
    const alone = await PDFDocument.load((await engine.renderPdf(layout, [run[0]])).pdf);
    const front = pageParts(alone, 0);
    // the writer's move (q … cm), the under form, the page's own drawing, the over form, the move's Q
    expect(front.streams).toHaveLength(5);
    // The same record at the start of a chunk, inside one, at its end and in the last, short chunk.
    for (const at of [0, 57, 99, 100, 163, 229]) {
      const records = run.map((r, i) => (i === at ? run[0] : r)) as object[];
      const doc = await PDFDocument.load((await engine.renderPdf(layout, records)).pdf);
      const there = pageParts(doc, at * 2);
      expect(there.streams, `record at place ${at}`).toEqual(front.streams);
      expect(there.forms).toEqual(front.forms);
      if (at === 229) {
        // Each static form is written once: as many Form XObjects in the file as names the pages draw.
        const names = new Set<string>();
        for (let i = 0; i < doc.getPageCount(); i++) for (const f of pageParts(doc, i).forms) names.add(f);
        const forms = doc.context
          .enumerateIndirectObjects()
          .filter(([, o]) => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Form'));
        // the front's variants (specialCare, copayRate …) and the back: under and over each
        expect(names.size).toBeGreaterThanOrEqual(4);
        expect(forms.length).toBe(names.size);
        for (const [ref] of forms) expect(ref).toBeInstanceOf(PDFRef);
      }
    }
  }, 120_000);

  it.each([...layouts.values()].map((l) => [l.id, l] as const))(
    '%s: no static layer holds anything of the record',
    async (_id, layout: Layout) => {
      expect(await staticLeaks(engine, layout, loadSamples(layout) as Record<string, unknown>[])).toEqual([]);
    },
    60_000,
  );

  it('names the element of a layout that prints a record value outside a marked box', async () => {
    const good = layouts.get('kokuho-card') as Layout;
    const leaky: Layout = {
      ...good,
      sideTemplates: good.sideTemplates.map((s) =>
        s.id === 'front' ? { ...s, source: `${s.source}<div class="reminder">{{name}} 様</div>` } : s,
      ),
    };
    const leaks = await staticLeaks(engine, leaky, loadSamples(good) as Record<string, unknown>[]);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.map((l) => l.element)).toContain('section.sheet.side-front > div.reminder');
    const first = leaks.find((l) => l.element.endsWith('div.reminder'));
    expect(first?.first).not.toBe(first?.second);
  }, 60_000);
});
