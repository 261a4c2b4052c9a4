// The text a layout's templates print themselves (titles, labels, cover texts) is drawn by the pinned fonts
// too: record values are checked when records are (validate/), but a template's own character with no glyph
// prints as an empty box on every page (the 台紙 printed ✂ so until it was looked at).
import { describe, expect, it } from 'vitest';
import { loadLayouts } from '../engine/index.ts';
import { fontForText, pinnedCoverage } from '../engine/fonts/glyph-coverage.ts';

/** What a template prints of itself: its text outside comments, Handlebars expressions and HTML tags. */
function literalText(source: string): string {
  return source
    .replace(/\{\{!--[\s\S]*?--\}\}/g, ' ')
    .replace(/\{\{![\s\S]*?\}\}/g, ' ')
    .replace(/\{\{[\s\S]*?\}\}/g, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ');
}

/** The characters of `text` that no pinned font draws. */
function missing(text: string): string[] {
  const coverage = pinnedCoverage();
  return [...new Set([...text].filter((c) => c.trim() !== '' && 'missing' in fontForText(c, coverage)))];
}

describe('the text of the layouts themselves', () => {
  it('is read from templates without their comments, expressions and tags', () => {
    expect(literalText('{{!-- ✂ note --}}<p class="a">切り取り{{name}}線</p>{{#if x}}✂{{/if}}').replace(/\s+/g, '')).toBe('切り取り線✂');
  });

  it('finds a character no pinned font draws', () => {
    expect(missing(literalText('<p>✂ 切り取り線</p>'))).toEqual(['✂']);
  });

  for (const layout of loadLayouts().values()) {
    it(`of ${layout.id} is drawn by the pinned fonts, every character`, () => {
      const sources = [...layout.sideTemplates.map((s) => s.source), ...Object.values(layout.partialSources)];
      expect(missing(sources.map(literalText).join(' '))).toEqual([]);
    });
  }
});
