import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, getLayout, loadLayouts, loadSamples, rasterizePdf } from '../engine/index.ts';

// A page equal for many records (the card back: no personal data on it) is printed once per chunk and
// named by every record's page; the tabs keep a layout loaded and only swap the chunk's body.

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-shared-'));
// Nothing personal on the back (no 備考, no 性別 there): six records of the first two samples, renumbered so
// every front differs, share one back; the third sample's back holds its 備考 and 性別.
const plain = samples.filter((s) => !s.remarks && !s.sexOnBack);
const records = Array.from({ length: 6 }, (_, i) => ({ ...plain[i % plain.length], number: `00${i}1234` }));
const remarked = samples.find((s) => typeof s.remarks === 'string' && s.remarks !== '') as Record<string, unknown>;

let engine: Engine;
let pdf: Uint8Array;
let file: string;

/** Each page's content streams, as qpdf names them. */
function pageContents(path: string): string[][] {
  const json = JSON.parse(execFileSync('qpdf', ['--json', '--json-key=pages', path], { encoding: 'utf8' })) as {
    pages: { contents: string[] }[];
  };
  return json.pages.map((p) => p.contents);
}

beforeAll(async () => {
  engine = await Engine.start({ chunkSize: 10, tabs: 1 });
  pdf = (await engine.renderPdf('kokuho-card', records)).pdf;
  file = join(dir, 'shared.pdf');
  writeFileSync(file, pdf);
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pages equal for many records', () => {
  it('are drawn once: every back names the same content, every front its own', () => {
    const pages = pageContents(file);
    expect(pages).toHaveLength(12);
    const backs = pages.filter((_, i) => i % 2 === 1).map((c) => c.join(' '));
    const fronts = pages.filter((_, i) => i % 2 === 0).map((c) => c.join(' '));
    expect(new Set(backs).size).toBe(1);
    expect(new Set(fronts).size).toBe(6);
    expect(execFileSync('qpdf', ['--check', file], { encoding: 'utf8' })).toContain('No syntax or stream encoding errors found');
  });

  it('are page objects of a few words: MediaBox and TrimBox to 1/10,000 pt, no BleedBox without bleed', () => {
    // What a card costs beyond its own drawing is its two page objects: 17-digit boxes and a BleedBox equal
    // to the MediaBox took 192 bytes of a card's 1,781 (1,000 cards).
    const json = JSON.parse(execFileSync('qpdf', ['--json=1', '--json-key=objects', file], { encoding: 'utf8' })) as {
      objects: Record<string, Record<string, unknown>>;
    };
    const pages = Object.values(json.objects).filter((o) => o['/Type'] === '/Page');
    expect(pages).toHaveLength(12);
    for (const page of pages) {
      expect(page['/BleedBox']).toBeUndefined();
      for (const key of ['/MediaBox', '/TrimBox']) {
        const box = page[key] as number[];
        expect(box.map((v) => Math.round(v * 100) / 100)).toEqual([0, 0, 242.65, 153.01]);
        for (const v of box) expect(String(v)).toMatch(/^\d+(\.\d{1,4})?$/);
      }
    }
  });

  it('look exactly as when each record is printed alone', async () => {
    const shared = await rasterizePdf(pdf, 12, layout.page, 150);
    for (const k of [0, 5]) {
      const alone = await engine.renderPdf('kokuho-card', [records[k]]);
      const [front, back] = await rasterizePdf(alone.pdf, 2, layout.page, 150);
      expect(shared[k * 2]?.equals(front as Buffer)).toBe(true);
      expect(shared[k * 2 + 1]?.equals(back as Buffer)).toBe(true);
    }
  });

  it('print a back of its own for a record whose back differs (one with 備考)', async () => {
    expect(remarked, 'a sample with 備考').toBeDefined();
    const mixed = [records[0], remarked, records[2]];
    const path = join(dir, 'mixed.pdf');
    writeFileSync(path, (await engine.renderPdf('kokuho-card', mixed)).pdf);
    const backs = pageContents(path)
      .filter((_, i) => i % 2 === 1)
      .map((c) => c.join(' '));
    expect(backs[0]).toBe(backs[2]);
    expect(backs[1]).not.toBe(backs[0]);
  });
});

describe('a tab that keeps its layout loaded', () => {
  it('is replaced by a fresh tab after freshTabAfterPages pages, and the output stays whole and in order', async () => {
    const small = await Engine.start({ chunkSize: 1, tabs: 1, freshTabAfterPages: 80 });
    try {
      const many = Array.from({ length: 45 }, (_, i) => ({ ...plain[i % plain.length], number: String(i).padStart(7, '0') }));
      const path = join(dir, 'many.pdf');
      writeFileSync(path, (await small.renderPdf('kokuho-card', many)).pdf);
      // The layout is loaded into the first tab and again into the fresh one that took its place.
      expect(small.stepTimes.snapshot()['load layout']?.count).toBe(2);
      expect(pageContents(path)).toHaveLength(90);
      for (const k of [0, 40, 44]) {
        expect(execFileSync('pdftotext', ['-f', String(k * 2 + 1), '-l', String(k * 2 + 1), path, '-'], { encoding: 'utf8' })).toContain(
          String(k).padStart(7, '0'),
        );
      }
    } finally {
      await small.close();
    }
  });

  it('prints the same bytes after printing another layout in between', async () => {
    const kenpo = getLayout(loadLayouts(), 'kenpo-card');
    await engine.renderPdf('kenpo-card', loadSamples(kenpo));
    const again = await engine.renderPdf('kokuho-card', records);
    expect(Buffer.from(again.pdf).equals(Buffer.from(pdf))).toBe(true);
  });
});
