// Text keeps inside the safe area, `safeMm` of layout.json (3 mm, the print trade's usual) from the trim
// on every side, on every page of every layout's samples and golden records: a cut that wanders never
// touches a word. Measured from the PDFs' word boxes (pdftotext -bbox).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Engine, loadLayouts, loadSamples } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { wordBoxes, pageCount } from './helpers/poppler.ts';

const layouts = [...loadLayouts().values()];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-safe-'));
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The records of a layout's golden cases. */
function goldenRecords(layout: string): unknown[] {
  const root = new URL(`../golden/${layout}/`, import.meta.url).pathname;
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((c) => {
    const one = join(root, c, 'record.json');
    return existsSync(one) ? [JSON.parse(readFileSync(one, 'utf8')) as unknown] : [];
  });
}

describe('safe area', () => {
  for (const layout of layouts) {
    it(`${layout.id}: every word stays ${layout.safeMm} mm inside the trim on every side`, async () => {
      const pdf = join(dir, `${layout.id}.pdf`);
      writeFileSync(pdf, (await engine.renderPdf(layout.id, [...loadSamples(layout), ...goldenRecords(layout.id)])).pdf);
      const { widthMm: W, heightMm: H } = layout.page;
      const mm = (pt: number) => (pt / 72) * 25.4;
      const outside: string[] = [];
      let words = 0;
      for (let page = 1; page <= pageCount(pdf); page++) {
        for (const w of wordBoxes(pdf, page)) {
          words++;
          const gaps = { left: mm(w.xMin), right: W - mm(w.xMax), top: mm(w.yMin), bottom: H - mm(w.yMax) };
          for (const [side, gap] of Object.entries(gaps)) {
            if (gap < layout.safeMm - 0.01)
              outside.push(`page ${page}: "${w.text.slice(0, 12)}" ${gap.toFixed(2)} mm from the ${side} edge`);
          }
        }
      }
      expect(words).toBeGreaterThan(10);
      expect(outside).toEqual([]);
    });
  }
});
