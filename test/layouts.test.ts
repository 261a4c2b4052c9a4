// Every layout, rendered from its own sample records: pages, page size, fonts, structure and the key text.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Engine, loadLayouts, loadSamples, type Layout } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { fonts, greyPage, horizontalRuns, pageBoxes, pageCount, pageText } from './helpers/poppler.ts';

// The documents: a carrier (document "mailer") prints as a mailing run of the records it carries, whose
// pages are not one record's each; the carriers' own checks are in mail-run.test.ts and the golden check.
const layouts = new Map([...loadLayouts()].filter(([, l]) => l.document !== 'mailer'));
const dir = mkdtempSync(join(tmpdir(), 'shikaku-layouts-'));
const MM = 72 / 25.4;
const flat = (s: string) => s.replace(/\s+/g, '');
const pdfs = new Map<string, string>();
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
  for (const layout of layouts.values()) {
    const path = join(dir, `${layout.id}.pdf`);
    writeFileSync(path, (await engine.renderPdf(layout.id, loadSamples(layout))).pdf);
    pdfs.set(layout.id, path);
  }
});

const pdf = (id: string) => pdfs.get(id) as string;
const page = (id: string, n: number) => flat(pageText(pdf(id), n));

describe('every layout', () => {
  it('is one of the seven documents of the mission', () => {
    expect([...layouts.keys()]).toEqual([
      'kenpo-card',
      'kenpo-notice',
      'kenpo-notice-card',
      'kokuho-card',
      'kokuho-notice',
      'kouki-card',
      'kouki-notice',
    ]);
  });

  describe.each([...layouts.values()].map((l) => [l.id, l] as [string, Layout]))('%s', (id, layout) => {
    it('prints each sample record on its own pages at the exact page size', () => {
      const samples = loadSamples(layout);
      expect(pageCount(pdf(id))).toBe(samples.length * layout.sides.length);
      for (const b of pageBoxes(pdf(id))) {
        expect(b.media[2]).toBeCloseTo(layout.page.widthMm * MM, 2);
        expect(b.media[3]).toBeCloseTo(layout.page.heightMm * MM, 2);
        expect(b.trim).toEqual(b.media);
      }
    });

    it('embeds only pinned TrueType faces and is a valid PDF', () => {
      for (const f of fonts(pdf(id))) {
        expect(f.embedded).toBe(true);
        expect(f.type).toBe('CID TrueType');
      }
      expect(execFileSync('qpdf', ['--check', pdf(id)], { encoding: 'utf8' })).toContain('No syntax or stream encoding errors found');
    });

    it("prints every sample record's name and number", () => {
      loadSamples(layout).forEach((s, i) => {
        const text = page(id, i * layout.sides.length + 1);
        const r = s as Record<string, string>;
        expect(text).toContain(flat(r.name ?? ''));
        expect(text).toContain(r.number);
      });
    });
  });
});

describe('the cards', () => {
  it('keep the organ-donation block at one position on every card of every layout', () => {
    const tops = ['kokuho-card', 'kouki-card', 'kenpo-card'].flatMap((id) =>
      [2, 4, 6].map((n) => horizontalRuns(greyPage(pdf(id), n, 150), Math.round(75 * (150 / 25.4))).map((r) => r.y)),
    );
    for (const t of tops) expect(t).toEqual(tops[0]);
  });

  it('kouki-card: 被保険者番号, 負担割合 and 発効期日 on every card, 後期高齢者医療 title', () => {
    const front = page('kouki-card', 1);
    for (const s of [
      '後期高齢者医療',
      '資格確認書',
      '被保険者番号00123456',
      '負担割合1割',
      '発効期日令和8年8月1日',
      '有効期限令和9年7月31日',
      '資格取得年月日平成31年3月3日',
      '保険者番号39320015',
      '保険者名称島根県後期高齢者医療広域連合',
    ]) {
      expect(front).toContain(s);
    }
    expect(front).not.toContain('記号');
  });

  it('kenpo-card: 本人（被保険者） or 家族（被扶養者）, 交付 date, カナ, 保険者所在地, and the 公印 as an image, never as text', () => {
    const self = page('kenpo-card', 1);
    for (const s of [
      '健康保険',
      '資格確認書',
      '本人（被保険者）',
      '令和6年12月2日交付',
      '記号32010203',
      '番号45',
      '（枝番）00',
      'キョウカイタロウ',
      '氏名協会太郎',
      '生年月日平成元年5月10日',
      '性別男',
      '資格取得年月日令和6年12月2日',
      '有効期限令和11年11月30日',
      '保険者番号01320019',
      '保険者名称全国健康保険協会島根支部',
      '保険者所在地島根県松江市殿町383番地',
    ]) {
      expect(self).toContain(s);
    }
    expect(self).not.toContain('公印');
    expect(page('kenpo-card', 3)).toContain('家族（被扶養者）');
    expect(self).not.toContain('負担割合');
    expect(page('kenpo-card', 5)).toContain('負担割合3割');
    expect(page('kenpo-card', 5)).toContain('発効期日令和8年8月1日');
  });

  it('print 特別療養費 in the title, 裏面参照 with the remark on the back, and remarks above the organ-donation block', () => {
    expect(page('kouki-card', 5)).toContain('資格確認書特別療養費');
    expect(page('kouki-card', 3)).toContain('性別裏面参照');
    const back = page('kouki-card', 4);
    expect(back).toMatch(/^備考戸籍上の性別は男令和8年8月1日負担割合変更※以下の欄/);
    expect(page('kenpo-card', 4)).toMatch(/^備考被扶養者※以下の欄/);
  });
});
