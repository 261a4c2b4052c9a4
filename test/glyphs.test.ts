import { describe, expect, it } from 'vitest';
import { fontForText, pinnedCoverage } from '../engine/fonts/glyph-coverage.ts';
import { toPrintValues, MjText } from '../engine/format/print-values.ts';
import { getLayout, loadLayouts, validateRecords, PrintError, type RecordProblem } from '../engine/index.ts';
import { VALID_KOKUHO_CARD } from './helpers/records.ts';

const coverage = pinnedCoverage();
const layout = getLayout(loadLayouts(), 'kokuho-card');
const valid = VALID_KOKUHO_CARD;

function problems(change: Record<string, unknown>): RecordProblem[] {
  try {
    validateRecords([valid, { ...valid, ...change }], layout, { coverage });
  } catch (err) {
    return [...(err as PrintError).problems];
  }
  throw new Error('expected a rejection');
}

describe('glyph check', () => {
  it('prints JIS X 0213 names such as 髙橋 﨑子 in the layout faces', () => {
    expect(fontForText('髙橋 﨑子', coverage)).toEqual({ font: 'layout' });
  });

  it('lets 𠮷 (U+20BB7), which only IPAmj Mincho has, fall back to it character by character', () => {
    expect(coverage.primary.every((f) => !f.map.has(0x20bb7))).toBe(true);
    expect(coverage.mj.map.has(0x20bb7)).toBe(true);
    expect(fontForText('𠮷野 太郎', coverage)).toEqual({ font: 'layout' });
  });

  it('keeps an IVS the layout faces have (葛󠄀 = U+845B U+E0100) in those faces', () => {
    expect(fontForText('葛\u{E0100}城 花子', coverage)).toEqual({ font: 'layout' });
  });

  it('sets a whole name in IPAmj Mincho when only it has one of its IVS (葛 U+E0102)', () => {
    expect(fontForText('葛\u{E0102}城 花子', coverage)).toEqual({ font: 'mj' });
    const v = toPrintValues({ ...valid, name: '葛\u{E0102}城 <花子>' }, 0, coverage, { qrCode: false });
    expect(v.name).toBeInstanceOf(MjText);
    expect((v.name as MjText).toHTML()).toBe('<span class="glyph-mj">葛\u{E0102}城 &lt;花子&gt;</span>');
    expect(toPrintValues(valid, 0, coverage, { qrCode: false }).name).toBe('山田 太郎');
  });

  it('refuses a private-use character, naming record, field, character and code point', () => {
    expect(problems({ name: '山\uE000太郎' })).toEqual([
      expect.objectContaining({
        record: 2,
        path: 'name',
        label: '氏名',
        message:
          'character "\uE000" (U+E000) is in none of the pinned fonts (BIZ UD Mincho Regular, BIZ UD Gothic Regular, BIZ UD Gothic Bold, IPAmj Mincho): it would print as an empty box or another glyph',
      }),
    ]);
  });

  it('refuses an unassigned code point and an IVS no pinned font has', () => {
    expect(problems({ address: '島根県\u0378' })[0]).toMatchObject({
      path: 'address',
      message: expect.stringMatching(/^character "\u0378" \(U\+0378\) is in none/),
    });
    expect(problems({ householderName: '葛\u{E01EF}城' })[0]).toMatchObject({
      path: 'householderName',
      message: expect.stringMatching(/^variation sequence "葛\u{E01EF}" \(U\+845B U\+E01EF\) is in none/u),
    });
  });

  it('checks every printed field, not only the name', () => {
    expect(problems({ remarks: '\uE123', insurerName: '出雲\uE000市' }).map((p) => p.path)).toEqual(['insurerName', 'remarks']);
  });
});
