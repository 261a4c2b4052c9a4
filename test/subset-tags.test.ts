// Font subsets are named by their contents: across the chunks of a run, one name never stands for two
// different subsets (a RIP caching fonts by name would print wrong glyphs), and equal subsets share one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, type PDFObject } from 'pdf-lib';
import { Engine, loadLayouts, getLayout, loadSamples } from '../engine/index.ts';

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start({ chunkSize: 1, tabs: 1 });
});
afterAll(async () => engine?.close());

/** Every Type 0 font of a PDF: its name, and a hash of its font program, CID map and widths. */
async function subsets(pdf: Uint8Array): Promise<{ name: string; contents: string; descriptorName: string }[]> {
  const doc = await PDFDocument.load(pdf);
  const look = (o: PDFObject | undefined) => (o instanceof PDFRef ? doc.context.lookup(o) : o);
  const out: { name: string; contents: string; descriptorName: string }[] = [];
  for (const [, o] of doc.context.enumerateIndirectObjects()) {
    if (!(o instanceof PDFDict) || o.get(PDFName.of('Subtype'))?.toString() !== '/Type0') continue;
    const cid = look((look(o.get(PDFName.of('DescendantFonts'))) as PDFArray).get(0)) as PDFDict;
    const descriptor = look(cid.get(PDFName.of('FontDescriptor'))) as PDFDict;
    const program = look(descriptor.get(PDFName.of('FontFile2'))) as PDFRawStream;
    const hash = createHash('sha256')
      .update(program.contents)
      .update(String(cid.get(PDFName.of('CIDToGIDMap'))))
      .update(String(look(cid.get(PDFName.of('W')))));
    out.push({
      name: (o.get(PDFName.of('BaseFont')) as PDFName).decodeText(),
      contents: hash.digest('hex'),
      descriptorName: (descriptor.get(PDFName.of('FontName')) as PDFName).decodeText(),
    });
  }
  return out;
}

describe('font subset names', () => {
  it('give each distinct subset of a run its own name, and equal subsets the same one', async () => {
    // One record per chunk: the first and last records are equal, so their chunks hold equal subsets.
    const records = [samples[0], samples[1], samples[2], samples[0]];
    const fonts = await subsets((await engine.renderPdf(layout.id, records)).pdf);
    expect(fonts.length).toBeGreaterThanOrEqual(records.length);
    const byName = new Map<string, Set<string>>();
    const byContents = new Map<string, Set<string>>();
    for (const f of fonts) {
      expect(f.name).toMatch(/^[A-Z]{6}\+/);
      expect(f.descriptorName).toBe(f.name);
      byName.set(f.name, (byName.get(f.name) ?? new Set()).add(f.contents));
      byContents.set(f.contents, (byContents.get(f.contents) ?? new Set()).add(f.name));
    }
    for (const [name, contents] of byName) expect([name, contents.size]).toEqual([name, 1]);
    for (const [, names] of byContents) expect(names.size).toBe(1);
    // Different records printed different subsets: more than one name per face.
    const minchoNames = [...byName.keys()].filter((n) => n.endsWith('+BIZUDMincho-Regular'));
    expect(minchoNames.length).toBeGreaterThanOrEqual(3);
    // The equal first and last records share their subsets.
    expect(fonts.filter((f) => f.name.endsWith('+BIZUDMincho-Regular')).length).toBeGreaterThan(minchoNames.length);
  });

  it('name the same subsets the same way in every run', async () => {
    const names = async () => (await subsets((await engine.renderPdf(layout.id, samples.slice(0, 2))).pdf)).map((f) => f.name).sort();
    expect(await names()).toEqual(await names());
  });
});
