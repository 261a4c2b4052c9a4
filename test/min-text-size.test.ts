// No text prints smaller than 6 pt: not the layouts' own wording, not a value fitted into its box. Measured
// from the PDFs (pdftotext's word boxes are as tall as the type), for every sample and golden record.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Engine, loadLayouts, loadSamples } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { wordBoxes, pageCount } from './helpers/poppler.ts';

const MIN_PT = 6;
const layouts = [...loadLayouts().values()];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-minsize-'));
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});

/** The records of a layout's golden cases (golden/<layout>/<case>/record.json). */
function goldenRecords(layout: string): unknown[] {
  const root = new URL(`../golden/${layout}/`, import.meta.url).pathname;
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((c) => join(root, c, 'record.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
}

describe('text size', () => {
  for (const layout of layouts) {
    it(`is at least ${MIN_PT} pt on every page of ${layout.id}'s samples and golden records`, async () => {
      const records = [...loadSamples(layout), ...goldenRecords(layout.id)];
      const pdf = join(dir, `${layout.id}.pdf`);
      writeFileSync(pdf, (await engine.renderPdf(layout.id, records)).pdf);
      const small: string[] = [];
      for (let page = 1; page <= pageCount(pdf); page++) {
        for (const w of wordBoxes(pdf, page)) {
          const pt = w.yMax - w.yMin;
          if (pt < MIN_PT - 0.01) small.push(`page ${page}: ${pt.toFixed(2)} pt "${w.text}"`);
        }
      }
      expect(small).toEqual([]);
    });
  }
});
