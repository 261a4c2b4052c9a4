import { describe, expect, it } from 'vitest';
import { loadLayouts } from '../engine/index.ts';
import { fontForText, pinnedCoverage } from '../engine/fonts/glyph-coverage.ts';

const coverage = pinnedCoverage();

/** The literal text of a Handlebars template: what it prints whatever the record. */
function literalText(source: string): string {
  return source
    .replace(/\{\{!--[\s\S]*?--\}\}/g, '')
    .replace(/\{\{[\s\S]*?\}\}/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&[a-z]+;/g, '')
    .replace(/[\n\r\t]/g, '');
}

describe("the layouts' own text", () => {
  it.each([...loadLayouts().values()].map((l) => [l.id, l] as const))('of %s is drawn by the pinned layout faces', (_id, layout) => {
    const sources = [...layout.sideTemplates.map((s) => s.source), ...Object.values(layout.partialSources)];
    const text = sources.map(literalText).join('');
    expect(text.length).toBeGreaterThan(20);
    expect(fontForText(text, coverage)).toEqual({ font: 'layout' });
    for (const ch of new Set(text))
      expect(
        coverage.primary.every((f) => f.map.has(ch.codePointAt(0)!)),
        `U+${ch.codePointAt(0)!.toString(16)} ${ch}`,
      ).toBe(true);
  });
});
