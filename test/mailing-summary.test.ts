// The mailing summary: the counts a 差出票 needs, held without any address, and its printable A4 PDF (pages,
// bytes, text and font read back in-process: this is a unit test, it starts no poppler).
import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPinnedFonts } from '../engine/fonts/fonts.ts';
import { mailingSummary, type MailingSummary, type SummaryEnvelope, type SummaryRun } from '../engine/mail/mailing-summary.ts';
import { mailingSummaryPdf } from '../engine/mail/mailing-summary-pdf.ts';
import { drawnStrings, subsetFont } from './helpers/pdf-lib-text.ts';

const RUN: SummaryRun = {
  name: '令和7年度 資格確認書 一斉送付',
  layout: 'kokuho-card',
  mail: 'household',
  sort: 'postal',
  envelope: 'naga3-window',
  createdAt: '2025-04-01T00:05:00Z',
};

const env = (postalCode: string | null, sheets: number, records: number, barcode: boolean): SummaryEnvelope => ({
  postalCode,
  sheets,
  records,
  barcode,
});

// Eight envelopes over three districts and none, out of order, with sheet counts whose text order differs
// from their number order (10 before 2).
const HAND_MADE = [
  env('9000001', 1, 1, true),
  env('0100022', 2, 3, true),
  env(null, 1, 1, false),
  env('9000333', 10, 12, false),
  env('1000013', 1, 2, true),
  env('0100044', 1, 1, false),
  env(null, 2, 2, false),
  env('9000555', 1, 1, true),
];

/** `n` envelopes with a barcode, in district 100. */
function* barcoded(n: number): Generator<SummaryEnvelope> {
  for (let i = 0; i < n; i += 1) yield env('1000001', 1, 1, true);
}

/** One envelope in each of `count` districts 000, 001 …, each with a count of 1 to 9 (never 3 digits). */
function districts(count: number): SummaryEnvelope[] {
  return Array.from({ length: count }, (_, d) =>
    Array.from({ length: 1 + (d % 9) }, (_, i) => env(`${String(d).padStart(3, '0')}0000`, 1, 1, i % 2 === 0)),
  ).flat();
}

describe('mailingSummary', () => {
  it('counts envelopes, records, sheets and barcodes per district and per sheet count', () => {
    const s = mailingSummary(RUN, HAND_MADE);
    expect([s.envelopes, s.records, s.sheets]).toEqual([8, 23, 19]);
    expect(s.barcode).toEqual({ with: 4, without: 4 });
    expect(s.byDistrict).toEqual([
      { district: '010', envelopes: 2, withBarcode: 1 },
      { district: '100', envelopes: 1, withBarcode: 1 },
      { district: '900', envelopes: 3, withBarcode: 2 },
      { district: 'none', envelopes: 2, withBarcode: 0 },
    ]);
    expect(s.bySheets).toEqual([
      { sheets: 1, envelopes: 5 },
      { sheets: 2, envelopes: 2 },
      { sheets: 10, envelopes: 1 },
    ]);
  });

  it('orders districts by number with none last, and sheet counts by number, whatever the input order', () => {
    const s = mailingSummary(RUN, [...HAND_MADE].reverse());
    expect(s.byDistrict.map((d) => d.district)).toEqual(['010', '100', '900', 'none']);
    expect(s.bySheets.map((c) => c.sheets)).toEqual([1, 2, 10]);
  });

  it('holds no postal code longer than its 3-digit district, nor anything else the caller’s objects carry', () => {
    const withPeople = HAND_MADE.map((e, i) => ({ ...e, name: '山田 太郎', address: '霞が関1丁目3番2号', recordKey: `K-${i}` }));
    const summary = mailingSummary({ ...RUN, operator: '佐藤' } as SummaryRun, withPeople);
    const { run, ...counts } = summary;
    expect(run).toEqual(RUN); // the run as given, without the caller's other fields
    expect(JSON.stringify(counts)).not.toMatch(/\d{4,}/); // every count here is below 1,000
    expect(JSON.stringify(summary)).not.toMatch(/山田|霞が関|K-\d|佐藤/);
  });

  it('meets the barcode count condition at 1,000 pieces with a barcode, not at 999', () => {
    expect(mailingSummary(RUN, barcoded(999)).discounts).toMatchObject({ barcodePieces: 999, barcodeDiscountCount: false });
    expect(mailingSummary(RUN, barcoded(1000)).discounts).toMatchObject({ barcodePieces: 1000, barcodeDiscountCount: true });
  });

  it('meets the presort count condition at 2,000 envelopes in postal-code order, never in input order', () => {
    expect(mailingSummary(RUN, barcoded(1999)).discounts).toMatchObject({ presorted: true, presortCount: false });
    expect(mailingSummary(RUN, barcoded(2000)).discounts).toMatchObject({ presorted: true, presortCount: true });
    expect(mailingSummary({ ...RUN, sort: 'input' }, barcoded(5000)).discounts).toMatchObject({ presorted: false, presortCount: false });
  });

  it('counts 300,000 envelopes read once from a generator', () => {
    function* run(): Generator<SummaryEnvelope> {
      for (let i = 0; i < 300_000; i += 1)
        yield env(i % 50 === 0 ? null : `${String(i % 997).padStart(3, '0')}1234`, 1 + (i % 3), 1, i % 50 !== 0);
    }
    const s = mailingSummary(RUN, run());
    expect(s.envelopes).toBe(300_000);
    expect(s.sheets).toBe(600_000);
    expect(s.byDistrict.reduce((n, d) => n + d.envelopes, 0)).toBe(300_000);
    expect(s.byDistrict.find((d) => d.district === 'none')).toEqual({ district: 'none', envelopes: 6000, withBarcode: 0 });
  });

  it('refuses an envelope it cannot count, naming it by position and never repeating its postal code', () => {
    const bad = (e: SummaryEnvelope) => () => mailingSummary(RUN, [env('1000001', 1, 1, true), e]);
    expect(bad(env('123-4567', 1, 1, false))).toThrow('envelope 2: postalCode must be 7 digits or null, received 8 characters');
    expect(bad(env('123-4567', 1, 1, false))).not.toThrow(/4567/);
    expect(bad(env('1000001', 0, 1, false))).toThrow('envelope 2: sheets must be a whole number of 1 or more, received 0');
    expect(bad(env(null, 1, 1, true))).toThrow('envelope 2: barcode is true but postalCode is null');
    expect(() => mailingSummary({ ...RUN, createdAt: 'yesterday' }, [])).toThrow('run.createdAt must be an ISO 8601 date and time');
  });
});

describe('mailingSummaryPdf', () => {
  let small: MailingSummary;
  let pdf: Uint8Array;
  beforeAll(async () => {
    small = mailingSummary(RUN, HAND_MADE);
    pdf = await mailingSummaryPdf(small);
  });

  it('is a PDF of A4 portrait pages', async () => {
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    for (const page of doc.getPages()) {
      expect(page.getWidth()).toBeCloseTo(595.28, 0);
      expect(page.getHeight()).toBeCloseTo(841.89, 0);
    }
  });

  it('gives the same bytes for the same summary, dated from the run and made by a fixed producer', async () => {
    expect(Buffer.from(await mailingSummaryPdf(mailingSummary(RUN, HAND_MADE))).equals(Buffer.from(pdf))).toBe(true);
    const doc = await PDFDocument.load(pdf, { updateMetadata: false });
    expect(doc.getCreationDate()?.toISOString()).toBe('2025-04-01T00:05:00.000Z');
    expect(doc.getModificationDate()?.toISOString()).toBe('2025-04-01T00:05:00.000Z');
    expect([doc.getTitle(), doc.getProducer()]).toEqual(['郵便物 差出集計 令和7年度 資格確認書 一斉送付', 'shikaku-print']);
  });

  it('writes the run, the totals and the discount conditions in Japanese', async () => {
    const [page] = await pageTexts(pdf);
    for (const line of [
      '郵便物 差出集計',
      '令和7年度 資格確認書 一斉送付',
      '世帯ごと',
      '郵便番号順',
      'naga3-window',
      '2025年4月1日 9時05分（日本時間）',
    ])
      expect(page).toContain(line);
    expect(page).toMatch(
      /通数（封筒）\n8\n通\n件数（印刷した記録）\n23\n件\n枚数（用紙）\n19\n枚\nバーコード付き\n4\n通\nバーコードなし\n4\n通/,
    );
    expect(page).toContain('バーコード付郵便物割引の通数条件（1,000通以上）\n満たさない\n（バーコード付き 4通）');
    expect(page).toContain('郵便区別 通数\n郵便区「なし」は郵便番号のない封筒です（バーコードは付けられません）。');
    expect(page).toMatch(/\n1 \/ 1$/);
  });

  it('continues 1,000 districts over numbered pages, headings repeated, every district once and in order', async () => {
    const big = await mailingSummaryPdf(mailingSummary(RUN, districts(1000)));
    const pages = await pageTexts(big);
    expect(pages.length).toBeGreaterThan(5);
    pages.forEach((text, i) => {
      expect(text).toMatch(new RegExp(`\\n${i + 1} / ${pages.length}$`));
      if (i > 0) expect(text.startsWith('郵便区別 通数（続き）\n郵便区\n通数\nうちバーコード付き\n')).toBe(true);
    });
    const printed = pages.flatMap((text) => text.split('\n').filter((t) => /^\d{3}$/.test(t)));
    expect(printed).toEqual(Array.from({ length: 1000 }, (_, d) => String(d).padStart(3, '0')));
  });

  it('embeds a subset of BIZ UD Gothic whose every glyph is drawn as the pinned face draws its character', async () => {
    const doc = await PDFDocument.load(pdf);
    const { baseFont, program, toUnicode } = subsetFont(doc);
    expect(baseFont).toMatch(/^[A-Z]{6}\+BIZUDGothic-Regular$/);
    const subset = fontkit.create(program);
    const face = readPinnedFonts().find((f) => f.id === 'bizud-gothic' && f.weight === 400);
    const pinned = fontkit.create(readFileSync(face?.path ?? ''));
    expect(toUnicode.size).toBeGreaterThan(50);
    for (const [cid, ch] of toUnicode) {
      expect({ ch, path: subset.getGlyph(cid).path.toSVG() }).toEqual({
        ch,
        path: pinned.glyphForCodePoint(ch.codePointAt(0) ?? 0).path.toSVG(),
      });
    }
  });
});

/** A page's text, one string drawn per line, in drawing order. */
async function pageTexts(bytes: Uint8Array): Promise<string[]> {
  const doc = await PDFDocument.load(bytes);
  const { toUnicode } = subsetFont(doc);
  return doc.getPages().map((_, i) => drawnStrings(doc, i, toUnicode).join('\n'));
}
