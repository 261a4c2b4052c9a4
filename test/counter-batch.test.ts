import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, getLayout, loadLayouts, loadSamples, PrintError } from '../engine/index.ts';

// Counter prints that arrive together print in one call to Chromium (engine/browser/counter-batch.ts), and
// each person's file is what it would be printed alone: the same pixels, and fonts with only their glyphs.

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const people = [0, 1, 2, 3].map((i) => ({ ...samples[i % samples.length], number: String(4100 + i).padStart(7, '0') }));

let engine: Engine;
let dir: string;
beforeAll(async () => {
  // A wait long enough that prints started together always meet, however busy the machine.
  engine = await Engine.start({ counterBatch: { waitMs: 300, maxPages: 64 } });
  dir = mkdtempSync(join(tmpdir(), 'counter-batch-'));
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const counter = { lane: 'counter' as const };
const printCalls = () => engine.stepTimes.snapshot()['print (page.pdf)']?.count ?? 0;

/** The page images of a PDF at 100 dpi, grey. */
function pixels(pdf: Uint8Array, name: string): Buffer {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftoppm', ['-r', '100', '-gray', file]);
}

function streamBytes(s: PDFRawStream): Uint8Array {
  return s.dict.get(PDFName.of('Filter')) ? inflateSync(s.contents) : s.contents;
}

/** The glyph ids with an outline in a TrueType program (its loca table). */
function outlinedGlyphs(font: Uint8Array): number[] {
  const view = Buffer.from(font);
  const tables = new Map<string, number>();
  for (let i = 0; i < view.readUInt16BE(4); i++)
    tables.set(view.toString('latin1', 12 + 16 * i, 16 + 16 * i), view.readUInt32BE(20 + 16 * i));
  const head = tables.get('head') as number;
  const loca = tables.get('loca') as number;
  const count = view.readUInt16BE((tables.get('maxp') as number) + 4);
  const long = view.readInt16BE(head + 50) === 1;
  const at = (g: number) => (long ? view.readUInt32BE(loca + 4 * g) : view.readUInt16BE(loca + 2 * g) * 2);
  return Array.from({ length: count }, (_, g) => g).filter((g) => at(g + 1) > at(g));
}

/** The characters a ToUnicode CMap maps codes to (bfchar and bfrange entries; one UTF-16 unit each). */
function unicodeOf(cmap: string): string[] {
  const chars: string[] = [];
  const unit = (hex: string) => String.fromCharCode(parseInt(hex, 16));
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const m of (block[1] as string).matchAll(/<[0-9A-F]+>\s*<([0-9A-F]+)>/g)) chars.push(unit(m[1] as string));
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
    for (const m of (block[1] as string).matchAll(/<([0-9A-F]+)>\s*<([0-9A-F]+)>\s*<([0-9A-F]+)>/g))
      for (let c = 0; c <= parseInt(m[2] as string, 16) - parseInt(m[1] as string, 16); c++)
        chars.push(String.fromCharCode(parseInt(m[3] as string, 16) + c));
  return chars;
}

/**
 * What a file's fonts hold, one line per font (its name without the subset tag): the characters of its
 * ToUnicode map and the glyphs it has outlines for.
 */
async function fontContents(pdf: Uint8Array): Promise<{ font: string; glyphs: number[] }[]> {
  const doc = await PDFDocument.load(pdf);
  const found: { font: string; glyphs: number[] }[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Subtype')) !== PDFName.of('Type0')) continue;
    const name = String(object.get(PDFName.of('BaseFont'))).replace(/^\/[A-Z]{6}\+/, '');
    const toUnicode = object.lookup(PDFName.of('ToUnicode')) as PDFRawStream;
    const chars = unicodeOf(Buffer.from(streamBytes(toUnicode)).toString('latin1'))
      .sort()
      .join('');
    const cid = (object.lookup(PDFName.of('DescendantFonts')) as PDFArray).lookup(0) as PDFDict;
    const program = (cid.lookup(PDFName.of('FontDescriptor')) as PDFDict).get(PDFName.of('FontFile2')) as PDFRef;
    found.push({ font: `${name} ${chars}`, glyphs: outlinedGlyphs(streamBytes(doc.context.lookup(program) as PDFRawStream)) });
  }
  return found.sort((a, b) => a.font.localeCompare(b.font));
}

describe('counter batches', () => {
  it('prints four people who arrive together in one call, each file as if printed alone, with only their own glyphs', async () => {
    const alone = [];
    for (const p of people) alone.push((await engine.renderPdf(layout.id, [p], counter)).pdf);
    const before = printCalls();
    const together = await Promise.all(people.map((p) => engine.renderPdf(layout.id, [p], counter)));
    // one variable layer for the four (the static layers were printed by the prints alone)
    expect(printCalls() - before).toBe(1);
    for (const [i, t] of together.entries()) {
      expect(t.pageCount).toBe(2);
      expect(pixels(t.pdf, `together-${i}`).equals(pixels(alone[i] as Uint8Array, `alone-${i}`))).toBe(true);
      // Chromium's subsets of the batch hold all four names; each file keeps its own person's glyphs only:
      // the same characters as printed alone, and no outline that the print alone does not have (alone,
      // Skia's subset also keeps a few alternates of its glyphs that GSUB reaches by another way).
      const batched = await fontContents(t.pdf);
      const own = await fontContents(alone[i] as Uint8Array);
      expect(batched.map((f) => f.font)).toEqual(own.map((f) => f.font));
      for (const [k, f] of batched.entries()) expect(f.glyphs.filter((g) => !own[k]!.glyphs.includes(g))).toEqual([]);
    }
    // the people differ: their fonts do too, so the comparison above can tell a shared subset
    const names = async (pdf: Uint8Array) => (await fontContents(pdf)).map((f) => f.font);
    expect(await names(together[0]!.pdf)).not.toEqual(await names(together[1]!.pdf));
  });

  it('fails only the print whose box does not fit, naming its own record; the others are printed', async () => {
    const long = {
      ...people[1],
      name: '寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処藪ら柑子の藪柑子パイポパイポ',
    };
    const loads = () => engine.stepTimes.snapshot()['load chunk']?.count ?? 0;
    const before = loads();
    const answers = await Promise.allSettled([people[0], long, people[2]].map((p) => engine.renderPdf(layout.id, [p], counter)));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (answers[1] as PromiseRejectedResult).reason as PrintError;
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.problems.map((p) => [p.record, p.path])).toEqual([[1, 'name']]);
    // the batch found the box, then each print went alone
    expect(loads() - before).toBe(4);
  });

  it('answers a caller who gives up while the batch gathers at once, and prints the others', async () => {
    const gone = new AbortController();
    const prints = people
      .slice(0, 3)
      .map((p, i) => engine.renderPdf(layout.id, [p], { ...counter, ...(i === 1 ? { signal: gone.signal } : {}) }));
    setTimeout(() => gone.abort(), 20);
    const answers = await Promise.allSettled(prints);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((answers[1] as PromiseRejectedResult).reason as PrintError).code).toBe('CANCELLED');
    for (const a of [answers[0], answers[2]]) expect((a as PromiseFulfilledResult<{ pageCount: number }>).value.pageCount).toBe(2);
  });
});
