import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, getLayout, loadLayouts, loadSamples, OFFICE_OUTPUT, PrintError } from '../engine/index.ts';
import { fontContents } from './helpers/pdf-fonts.ts';

// Counter prints that arrive together print as one chunk of one tab (engine/browser/counter-batch.ts), and
// each person's file is what it would be printed alone: the same pixels, and fonts with only their glyphs.

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const people = [0, 1, 2, 3].map((i) => ({ ...samples[i % samples.length], number: String(4100 + i).padStart(7, '0') }));

let engine: Engine;
let dir: string;
beforeAll(async () => {
  // A wait long enough that prints started together always meet, however busy the machine.
  engine = await Engine.start({ counterBatch: { waitMs: 300, maxPages: 64, inFlight: 2 } });
  dir = mkdtempSync(join(tmpdir(), 'counter-batch-'));
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const counter = { lane: 'counter' as const };
/** Chunks a tab took in: a batch is one, whether Chromium prints its variable layer or the glyph writer writes it. */
const chunkCalls = () => engine.stepTimes.snapshot()['load chunk']?.count ?? 0;

/** The page images of a PDF at 100 dpi, grey. */
function pixels(pdf: Uint8Array, name: string): Buffer {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftoppm', ['-r', '100', '-gray', file]);
}

describe('counter batches', () => {
  it('prints four people who arrive together in one call, each file as if printed alone, with only their own glyphs', async () => {
    const alone = [];
    for (const p of people) alone.push((await engine.renderPdf(layout.id, [p], counter)).pdf);
    const before = chunkCalls();
    const together = await Promise.all(people.map((p) => engine.renderPdf(layout.id, [p], counter)));
    // one chunk, one variable layer for the four
    expect(chunkCalls() - before).toBe(1);
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

describe('a file of its own per record (split=record)', () => {
  it("holds only its own person's glyphs, not the rest of its chunk's", async () => {
    const parts: Uint8Array[] = [];
    const summary = await engine.render(layout.id, people, (b) => void parts.push(b), { output: { ...OFFICE_OUTPUT, split: 'record' } });
    const zip = join(dir, 'split.zip');
    writeFileSync(zip, Buffer.concat(parts));
    const files = join(dir, 'split');
    execFileSync('unzip', ['-q', '-o', zip, '-d', files]);
    for (const [i, person] of people.entries()) {
      const own = await fontContents((await engine.renderPdf(layout.id, [person])).pdf);
      const file = summary.records[i]?.file as string;
      const split = await fontContents(readFileSync(join(files, file)));
      expect(split.map((f) => f.font)).toEqual(own.map((f) => f.font));
      for (const [k, f] of split.entries()) expect(f.glyphs.filter((g) => !own[k]!.glyphs.includes(g))).toEqual([]);
    }
  });
});

describe('tabs and layouts', () => {
  it('prints each layout in a tab that has it loaded: counter prints of two layouts in turn load each once', async () => {
    const notice = getLayout(loadLayouts(), 'kokuho-notice');
    const noticeSample = (loadSamples(notice) as Record<string, unknown>[])[0];
    const loads = () => engine.stepTimes.snapshot()['load layout']?.count ?? 0;
    // each layout once, so that a tab has each
    await engine.renderPdf(layout.id, [people[0]], counter);
    await engine.renderPdf(notice.id, [noticeSample], counter);
    const before = loads();
    for (let i = 0; i < 4; i++) {
      await engine.renderPdf(layout.id, [people[i]], counter);
      await engine.renderPdf(notice.id, [noticeSample], counter);
    }
    expect(loads() - before).toBe(0);
  });
});
