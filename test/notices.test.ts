// 資格情報のお知らせ: the QR code, the tear-off strip and the variants of the notices.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { type Engine, getLayout, loadLayouts, loadSamples, validateRecords, PrintError } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { QR_MODULE_MM, QR_QUIET_MODULES } from '../engine/validate/codes.ts';
import { darkPixels, decodeBarcodes, greyPage, pageText, pageTextInOrder, textIn, wordBoxes } from './helpers/poppler.ts';

const layouts = loadLayouts();
const kokuho = getLayout(layouts, 'kokuho-notice');
const kenpo = getLayout(layouts, 'kenpo-notice');
const kokuhoSamples = loadSamples(kokuho) as Record<string, unknown>[];
const kenpoSamples = loadSamples(kenpo) as Record<string, unknown>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-notices-'));
const flat = (s: string) => s.replace(/\s+/g, '');
// The strip: card-size at the lower right, 12 mm from the right and bottom edges (layouts/_shared/notice.css).
const STRIP = { x: 210 - 12 - 85.6, y: 297 - 12 - 53.98, w: 85.6, h: 53.98 };
let engine: Engine;
let kokuhoPdf: string;
/** The same pages printed whole, in one layer: their text in the order the PDF draws it is the document's. */
let kokuhoWholePdf: string;
let kenpoPdf: string;

beforeAll(async () => {
  engine = await sharedEngine();
  kokuhoPdf = join(dir, 'kokuho.pdf');
  writeFileSync(kokuhoPdf, (await engine.renderPdf('kokuho-notice', kokuhoSamples)).pdf);
  kokuhoWholePdf = join(dir, 'kokuho-whole.pdf');
  writeFileSync(kokuhoWholePdf, (await engine.renderPdf('kokuho-notice', kokuhoSamples, { wholePages: true })).pdf);
  kenpoPdf = join(dir, 'kenpo.pdf');
  writeFileSync(kenpoPdf, (await engine.renderPdf('kenpo-notice', kenpoSamples)).pdf);
});

describe('kokuho-notice', () => {
  // The document's order, from the page printed whole: a page printed once draws its static layer before the
  // record's text (engine/browser/layers.ts), and test/print-once.test.ts holds the two to the same pixels.
  it('prints everything of the 様式例, in its order', () => {
    expect(flat(pageText(kokuhoPdf, 1))).toBe(flat(pageText(kokuhoWholePdf, 1)));
    const text = flat(pageTextInOrder(kokuhoWholePdf, 1));
    const inOrder = [
      '資格情報のお知らせ',
      '出雲市',
      '保険者番号320036',
      'あなたの加入する健康保険の資格情報を下記のとおりお知らせします。なお、このお知らせのみでは受診できません。',
      '記号出雲12',
      '番号0034567',
      '(枝番)01',
      '氏名佐藤太郎',
      'フリガナサトウタロウ',
      '負担割合(70歳以上のみ記載)',
      '適用開始年月日令和元年5月1日',
      '交付年月日令和8年8月1日',
      'スマートフォンをお持ちの方は、右のQRコードからマイナポータルにログインすることで、ご自身の健康保険の資格情報を確認することができます。ぜひご活用ください。',
      '-マイナポータルへのアクセス・ダウンロードはこちら-',
      'マイナ保険証の読み取りができない例外的な場合については、スマートフォンの資格情報画面をマイナ保険証とともに医療機関等の受付で提示することで受診いただけます(スマートフォンをお持ちでない方は、この文書をマイナ保険証とともに医療機関等の受付で提示することで受診いただけます)。',
      '下部を切り取ってご利用いただくこともできます(このお知らせのみでは受診できません)',
    ];
    let at = 0;
    for (const s of inOrder) {
      const found = text.indexOf(s, at);
      expect(found, `"${s}" after position ${at}`).toBeGreaterThanOrEqual(0);
      at = found + s.length;
    }
    expect(text).not.toContain('有効期限');
    expect(text).not.toContain('発効期日');
  });

  it('prints 負担割合, 有効期限 and 発効期日 for a holder of 70 or more, on the page and on the strip', () => {
    expect(flat(pageText(kokuhoPdf, 2))).toBe(flat(pageText(kokuhoWholePdf, 2)));
    const text = flat(pageTextInOrder(kokuhoWholePdf, 2));
    for (const s of ['負担割合(70歳以上のみ記載)2割', '有効期限令和9年7月31日', '発効期日令和8年8月1日']) expect(text).toContain(s);
    const strip = flat(textIn(kokuhoPdf, 2, STRIP));
    for (const s of ['負担割合2割', '有効期限令和9年7月31日', '発効期日令和8年8月1日']) expect(strip).toContain(s);
  });

  it("carries the strip's items inside the card-size strip", () => {
    const strip = flat(textIn(kokuhoPdf, 1, STRIP));
    for (const s of [
      '資格情報のお知らせ',
      '令和8年8月1日発行',
      '出雲市',
      '保険者番号320036',
      '記号出雲12',
      '番号0034567',
      '(枝番)01',
      '氏名佐藤太郎',
      '負担割合',
      '受診の際にはマイナ保険証があわせて必要です',
    ]) {
      expect(strip).toContain(s);
    }
  });

  it('draws a visible cut line whose centre traces exactly a card (85.60 × 53.98 mm ± 0.1), with ✂ 切り取り線, and keeps print 3 mm away from it on both sides', () => {
    const dpi = 600;
    const px = (mm: number) => Math.round((mm / 25.4) * dpi);
    const img = greyPage(kokuhoPdf, 2, dpi);
    // Find the dashed line's rows and columns near where the layout puts them.
    const rowsWithLine = (from: number, to: number) => {
      const rows: number[] = [];
      for (let y = from; y < to; y++) if (darkPixels(img, px(STRIP.x), y, px(STRIP.w), 1) > px(STRIP.w) * 0.3) rows.push(y);
      return rows;
    };
    const colsWithLine = (from: number, to: number) => {
      const cols: number[] = [];
      for (let x = from; x < to; x++) if (darkPixels(img, x, px(STRIP.y), 1, px(STRIP.h)) > px(STRIP.h) * 0.3) cols.push(x);
      return cols;
    };
    const top = rowsWithLine(px(STRIP.y) - 10, px(STRIP.y) + 10);
    const bottom = rowsWithLine(px(STRIP.y + STRIP.h) - 10, px(STRIP.y + STRIP.h) + 10);
    const left = colsWithLine(px(STRIP.x) - 10, px(STRIP.x) + 10);
    const right = colsWithLine(px(STRIP.x + STRIP.w) - 10, px(STRIP.x + STRIP.w) + 10);
    for (const line of [top, bottom, left, right]) expect(line.length).toBeGreaterThan(0);
    const [t0, t1, b0, b1, l0, l1, r0, r1] = [
      top[0]!,
      top.at(-1)!,
      bottom[0]!,
      bottom.at(-1)!,
      left[0]!,
      left.at(-1)!,
      right[0]!,
      right.at(-1)!,
    ];
    // Where a cut along the line falls: the middle of the line's pixel rows and columns.
    const mm = (pxs: number) => pxs / (dpi / 25.4);
    const centre = (a: number, b: number) => (a + b + 1) / 2;
    expect(Math.abs(mm(centre(b0, b1) - centre(t0, t1)) - 53.98)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(mm(centre(r0, r1) - centre(l0, l1)) - 85.6)).toBeLessThanOrEqual(0.1);
    // Seen easily: at least 0.3 mm thick on every side.
    for (const [a, b] of [
      [t0, t1],
      [b0, b1],
      [l0, l1],
      [r0, r1],
    ] as const)
      expect(mm(b - a + 1)).toBeGreaterThanOrEqual(0.3);
    expect(flat(pageText(kokuhoPdf, 1))).toContain('切り取り線下部を切り取って');
    // The bands start 2 px (0.08 mm) off the line, past its anti-aliased edge pixels.
    const band = px(3);
    const aa = 2;
    // Outside: nothing within 3 mm of the line, all around.
    expect(darkPixels(img, l0 - band, t0 - band, r1 - l0 + 2 * band, band - aa)).toBe(0);
    expect(darkPixels(img, l0 - band, b1 + 1 + aa, r1 - l0 + 2 * band, band - aa)).toBe(0);
    expect(darkPixels(img, l0 - band, t0, band - aa, b1 - t0)).toBe(0);
    expect(darkPixels(img, r1 + 1 + aa, t0, band - aa, b1 - t0)).toBe(0);
    // Inside: nothing within 3 mm of the line either.
    const inner = { x: l1 + 1 + aa, y: t1 + 1 + aa, w: r0 - l1 - 1 - 2 * aa, h: b0 - t1 - 1 - 2 * aa };
    expect(darkPixels(img, inner.x, inner.y, inner.w, band - aa)).toBe(0);
    expect(darkPixels(img, inner.x, inner.y + inner.h - (band - aa), inner.w, band - aa)).toBe(0);
    expect(darkPixels(img, inner.x, inner.y, band - aa, inner.h)).toBe(0);
    expect(darkPixels(img, inner.x + inner.w - (band - aa), inner.y, band - aa, inner.h)).toBe(0);
    // And the strip does hold print: the check is not vacuous.
    expect(darkPixels(img, inner.x, inner.y, inner.w, inner.h)).toBeGreaterThan(1000);
  });

  it('prints nothing beside or below the strip, so one straight cut along its top and three more free the card', () => {
    const dpi = 150;
    const px = (mm: number) => Math.round((mm / 25.4) * dpi);
    for (const pdf of [kokuhoPdf, kenpoPdf]) {
      const img = greyPage(pdf, 1, dpi);
      const bandTop = px(STRIP.y - 0.5); // half a millimetre above the line: the band a guillotine frees
      expect(darkPixels(img, 0, bandTop, px(STRIP.x - 0.5), img.height - bandTop)).toBe(0); // left of the strip
      expect(darkPixels(img, px(STRIP.x + STRIP.w + 0.5), bandTop, img.width - px(STRIP.x + STRIP.w + 0.5), img.height - bandTop)).toBe(0); // right
      expect(darkPixels(img, 0, px(STRIP.y + STRIP.h + 0.5), img.width, img.height - px(STRIP.y + STRIP.h + 0.5))).toBe(0); // below
      expect(darkPixels(img, px(STRIP.x), px(STRIP.y), px(STRIP.w), px(STRIP.h))).toBeGreaterThan(1000); // the strip itself holds print
    }
  });

  it('has a QR code that a real decoder reads as the My Number portal, with modules of 0.4 mm or more', () => {
    expect(decodeBarcodes(kokuhoPdf, 1)).toEqual(['QR-Code:https://myna.go.jp/']);
    expect(QR_MODULE_MM).toBeGreaterThanOrEqual(0.4);
    expect(QR_QUIET_MODULES).toBe(4);
    // Measure the printed code, in the right column (from 165 mm to the 192 mm margin, right of the text)
    // between the portal paragraph and its caption: its dark extent is the symbol without the quiet zone.
    const modules = QRCode.create('https://myna.go.jp/', { errorCorrectionLevel: 'M' }).modules.size;
    const img = greyPage(kokuhoPdf, 1, 300);
    const words = wordBoxes(kokuhoPdf, 1);
    const lead = words.find((w) => w.text.startsWith('スマートフォンをお持ちの方は'))!;
    const caption = words.find((w) => w.text.startsWith('マイナポータルへのアクセス'))!;
    const px = (pt: number) => Math.round((pt / 72) * 300);
    let minX = Infinity,
      maxX = -1;
    for (let y = px(lead.yMin) - 60; y < px(caption.yMin); y++) {
      // a row that is dark most of the way across is the table's bottom rule, not the code
      const [left, right] = [165, 192].map((mm) => Math.round((mm / 25.4) * 300)) as [number, number];
      let dark = 0;
      for (let x = left; x < right; x++) if ((img.pixels[y * img.width + x] ?? 255) < 128) dark++;
      if (dark > (right - left) * 0.8) continue;
      for (let x = left; x < right; x++) {
        if ((img.pixels[y * img.width + x] ?? 255) < 128) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      }
    }
    const moduleMm = ((maxX - minX + 1) / modules) * (25.4 / 300);
    expect(moduleMm).toBeGreaterThanOrEqual(0.4);
    expect(moduleMm).toBeCloseTo(QR_MODULE_MM, 1);
  });
});

describe('kenpo-notice', () => {
  it('prints 加入者情報: the last 4 digits, or why they are not printed', () => {
    expect(flat(pageText(kenpoPdf, 1))).toContain(
      '加入者情報（マイナンバー下4桁）医療保険のデータベースに登録されているマイナンバーの下4桁を表示しています。マイナンバー下4桁1234',
    );
    const missing = flat(pageText(kenpoPdf, 2));
    expect(missing).toContain(
      'マイナンバーの未提出等により、当協会が正確なマイナンバーを把握できていないため、マイナンバーの下4桁は記載しておりません。',
    );
    expect(missing).not.toContain('マイナンバー下4桁1');
  });

  it("uses 資格取得年月日, prints 特別療養費 in the title, and encodes a record's own portal URL", () => {
    const text = flat(pageText(kenpoPdf, 3));
    expect(text).toContain('資格情報のお知らせ特別療養費');
    expect(text).toContain('資格取得年月日平成22年4月1日');
    expect(decodeBarcodes(kenpoPdf, 3)).toEqual(['QR-Code:https://myna.go.jp/SCK0101_01_001/SCK0101_01_001_InitDiscsys.form']);
  });

  it('requires myNumberLast4 (null when not registered) and checks its form', () => {
    const { myNumberLast4: _omit, ...without } = kenpoSamples[0]!;
    const problems = (records: unknown[]) => {
      try {
        validateRecords(records, kenpo);
        return [];
      } catch (err) {
        return (err as PrintError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems([kenpoSamples[1]])).toEqual([]);
    expect(problems([without])).toEqual([
      'myNumberLast4: required by layout kenpo-notice: expected 4 digits, or null when not registered, received nothing',
    ]);
    expect(problems([{ ...kenpoSamples[0], myNumberLast4: '12345' }])).toEqual([
      'myNumberLast4: expected 4 digits, or null when not registered, received "12345"',
    ]);
  });

  it('requires 有効期限 on a notice whenever 負担割合 is set', () => {
    const { expiryDate: _omit, ...without } = kenpoSamples[2]!;
    expect(() => validateRecords([without], kenpo)).toThrow(PrintError);
    try {
      validateRecords([without], kenpo);
    } catch (err) {
      expect((err as PrintError).problems.map((p) => p.path)).toContain('expiryDate');
    }
  });
});
