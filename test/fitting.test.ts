import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Engine, loadLayouts, getLayout, loadSamples, PrintError } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { fonts, pageText } from './helpers/poppler.ts';

const layout = getLayout(loadLayouts(), 'kokuho-card');
const [sample] = loadSamples(layout) as Record<string, unknown>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-fit-'));
const flat = (s: string) => s.replace(/\s+/g, '');
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});

async function renderToFile(records: unknown[], name: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, (await engine.renderPdf('kokuho-card', records)).pdf);
  return path;
}

describe('fitting names and addresses into their boxes', () => {
  const longKana = 'ヤマダ タロウザエモンノスケ ジュゲムゴコウノスリ'; // 25 characters
  const longAddress = '島根県出雲市大社町杵築東字宮内一九五番地の二 出雲大社前グランドマンション東館一二〇三号室別棟北側Ａ'; // 50 characters

  it('prints a 25-character katakana name and a 50-character address with a building name whole', async () => {
    expect([...longKana]).toHaveLength(25);
    expect([...longAddress]).toHaveLength(50);
    const pdf = await renderToFile([{ ...sample, name: longKana, householderName: longKana, address: longAddress }], 'long.pdf');
    const text = flat(pageText(pdf, 1));
    expect(text).toContain(`氏名${flat(longKana)}`);
    expect(text).toContain(`世帯主氏名${flat(longKana)}`);
    expect(text).toContain(flat(longAddress));
  });

  it('rejects a name too long even at the smallest size and narrowest width, naming record and field', async () => {
    const absurd = 'ジュゲムジュゲムゴコウノスリキレカイジャリスイギョノスイギョウマツウンライマツフウライマツ';
    const err = await engine.renderPdf('kokuho-card', [sample, { ...sample, name: absurd }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).problems).toEqual([
      {
        record: 2,
        recordLabel: 'record 2 (記号 出雲12 番号 0034567)',
        path: 'name',
        label: '氏名',
        message: 'too long for its box on the document: shorten it (text is never cut off)',
      },
    ]);
  });

  it('rejects an address too long for two lines at 6 pt', async () => {
    const err = await engine.renderPdf('kokuho-card', [{ ...sample, address: longAddress.repeat(3) }]).catch((e: unknown) => e);
    expect((err as PrintError).problems.map((p) => p.path)).toEqual(['address']);
  });

  it('prints 𠮷 and an IVS name with the pinned faces, IPAmj Mincho among them', async () => {
    const pdf = await renderToFile(
      [
        { ...sample, name: '𠮷野 葛\u{E0100}子' },
        { ...sample, name: '渡邉 葛\u{E0102}子' },
      ],
      'mj.pdf',
    );
    expect(flat(pageText(pdf, 1))).toContain('氏名𠮷野葛');
    expect(flat(pageText(pdf, 3))).toContain('氏名渡邉葛');
    expect(fonts(pdf).map((f) => f.name.replace(/^[A-Z]{6}\+/, ''))).toContain('IPAmjMincho');
    const plain = await renderToFile([sample], 'plain.pdf');
    expect(fonts(plain).map((f) => f.name.replace(/^[A-Z]{6}\+/, ''))).not.toContain('IPAmjMincho');
  });
});

describe('Japanese line breaking in a wrapped address', () => {
  it('never starts a line with 、 。 」 or ）, nor ends one with 「 or （', async () => {
    // Long enough to wrap at every size; closing punctuation all along, so any break falls next to one.
    const address = '島根県出雲市今市町、「北」一丁目、二番地。「出雲」ハイツ（東）、三〇一号室、西側、「裏」棟、（仮）';
    const pdf = await renderToFile([{ ...sample, address }], 'kinsoku.pdf');
    const lines = pageText(pdf, 1)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const at = lines.findIndex((l) => l.includes('島根県出雲市今市町'));
    expect(at).toBeGreaterThanOrEqual(0);
    const wrapped = lines[at + 1]!;
    expect(flat(lines[at]! + wrapped)).toContain(flat(address));
    expect(wrapped).not.toMatch(/^[、。」）]/);
    expect(lines[at]).not.toMatch(/[「（]$/);
  });
});
