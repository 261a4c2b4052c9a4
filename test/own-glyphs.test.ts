import { PDFContext } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { keptToUnicode, keptWidths } from '../engine/pdf/own-glyphs.ts';

// The parts of a font that name its glyphs, cut to the glyphs one print draws (engine/pdf/own-glyphs.ts).

describe('a font cut to its own glyphs', () => {
  it('keeps the widths of its glyphs only, from both forms of a W array', () => {
    const context = PDFContext.create();
    const widths = context.obj([2, 5, 500, 10, [600, 700, 800], 40, 40, 1000]);
    expect(keptWidths(widths, new Set([3, 11, 12, 40, 41]))).toEqual([3, [500], 11, [700], 12, [800], 40, [1000]]);
    expect(keptWidths(widths, new Set([99]))).toEqual([]);
  });

  it('keeps the ToUnicode codes of its glyphs only, from bfchar and both forms of bfrange', () => {
    const cmap = [
      '/CIDInit /ProcSet findresource begin',
      'begincmap',
      '1 begincodespacerange',
      '<0000> <FFFF>',
      'endcodespacerange',
      '2 beginbfchar',
      '<0002> <0020>',
      '<08A6> <96F2>',
      'endbfchar',
      '2 beginbfrange',
      '<0012> <001B> <0030>',
      '<0100> <0101> [<5C71> <7530>]',
      'endbfrange',
      'endcmap',
      'CMapName currentdict /CMap defineresource pop',
      'end',
    ].join('\n');
    const kept = keptToUnicode(cmap, new Set([0x08a6, 0x13, 0x101]));
    expect(kept).toContain('3 beginbfchar\n<0013> <0031>\n<0101> <7530>\n<08A6> <96F2>\nendbfchar');
    // nothing else is left: not the space, not the other digits, not 山
    expect(kept).not.toMatch(/<0020>|<0030>|<5C71>|bfrange/);
    // the CMap around the mappings stays as it was
    expect(kept.startsWith('/CIDInit /ProcSet findresource begin\nbegincmap\n1 begincodespacerange')).toBe(true);
    expect(kept.endsWith('endcmap\nCMapName currentdict /CMap defineresource pop\nend')).toBe(true);
  });
});
