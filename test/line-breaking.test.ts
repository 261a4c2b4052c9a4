// Japanese text breaks at phrase boundaries: no katakana word (マイナンバー, スマートフォン) is split across
// two lines. Read from the PDFs: the lines pdftotext finds in each text block of every sample page.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Engine, loadLayouts, loadSamples } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { pageCount } from './helpers/poppler.ts';

const layouts = [...loadLayouts().values()];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-breaks-'));
const KATAKANA = /[\u30a1-\u30fa\u30fc]/;
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});

/** The lines of each text block of a page, as pdftotext groups them. */
function blocks(pdf: string, page: number): string[][] {
  const xml = execFileSync('pdftotext', ['-f', String(page), '-l', String(page), '-bbox-layout', pdf, '-'], { encoding: 'utf8' });
  return [...xml.matchAll(/<block[^>]*>([\s\S]*?)<\/block>/g)].map((b) =>
    [...(b[1] ?? '').matchAll(/<line[^>]*>([\s\S]*?)<\/line>/g)].map((l) =>
      [...(l[1] ?? '').matchAll(/<word[^>]*>([^<]*)<\/word>/g)].map((w) => w[1]).join(''),
    ),
  );
}

/** Where a katakana run is split between two lines: "…マイナン / バー…". */
export function katakanaSplits(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const end = lines[i]!.at(-1) ?? '';
    const start = lines[i + 1]![0] ?? '';
    if (KATAKANA.test(end) && KATAKANA.test(start)) out.push(`${lines[i]!.slice(-8)} / ${lines[i + 1]!.slice(0, 8)}`);
  }
  return out;
}

describe('line breaking', () => {
  it('finds a split katakana word (the check itself)', () => {
    expect(katakanaSplits(['有効なマイナン', 'バーです'])).toEqual(['有効なマイナン / バーです']);
    expect(katakanaSplits(['有効な', 'マイナンバーです'])).toEqual([]);
  });

  it("breaks the card back's organ-donation text between phrases (never できま / す。), no line starting inside a word", async () => {
    const layout = layouts.find((l) => l.id === 'kokuho-card');
    const pdf = join(dir, 'card-back.pdf');
    writeFileSync(pdf, (await engine.renderPdf('kokuho-card', loadSamples(layout!).slice(0, 1))).pdf);
    const lines = blocks(pdf, 2).flat();
    const lead = lines.findIndex((l) => l.startsWith('※'));
    expect(lines[lead]?.endsWith('表示する')).toBe(true);
    expect(lines[lead + 1]?.startsWith('ことができます。')).toBe(true);
    // a line that starts with the tail of a verb or a particle began inside a phrase
    expect(lines.filter((l) => /^(す|ます|し|ません|の|を|に|は|が|で)/.test(l))).toEqual([]);
  });

  for (const layout of layouts) {
    it(`splits no katakana word in ${layout.id}'s samples`, async () => {
      const pdf = join(dir, `${layout.id}.pdf`);
      writeFileSync(pdf, (await engine.renderPdf(layout.id, loadSamples(layout))).pdf);
      const splits: string[] = [];
      for (let page = 1; page <= pageCount(pdf); page++)
        for (const lines of blocks(pdf, page)) splits.push(...katakanaSplits(lines).map((s) => `page ${page}: ${s}`));
      expect(splits).toEqual([]);
    });
  }
});
