import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, loadLayouts, getLayout, loadSamples, rasterizePdf, PrintError } from '../engine/index.ts';
import { fonts, greyPage, horizontalRuns, pageBoxes, pageCount, pageText } from './helpers/poppler.ts';

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const dir = mkdtempSync(join(tmpdir(), 'shikaku-test-'));
const MM = 72 / 25.4;
const textOf = (s: string) => s.replace(/\s+/g, '');

let engine: Engine;
let pdfPath: string;
let pdfBytes: Uint8Array;

beforeAll(async () => {
  // Two records per document and two tabs: the samples' three records span two chunks printed in parallel.
  engine = await Engine.start({ chunkSize: 2, tabs: 2 });
  pdfBytes = (await engine.renderPdf('kokuho-card', samples)).pdf;
  pdfPath = join(dir, 'samples.pdf');
  writeFileSync(pdfPath, pdfBytes);
});
afterAll(async () => engine?.close());

describe('kokuho-card PDF', () => {
  it('has each record front then back, in input order', () => {
    expect(pageCount(pdfPath)).toBe(samples.length * 2);
    samples.forEach((s, i) => {
      expect(textOf(pageText(pdfPath, i * 2 + 1))).toContain(`番号${String(s.number)}`);
      expect(textOf(pageText(pdfPath, i * 2 + 2))).toContain('臓器を提供しません');
    });
  });

  it("puts no record on another record's page", () => {
    samples.forEach((_, i) => {
      const front = textOf(pageText(pdfPath, i * 2 + 1));
      const others = samples.filter((_, j) => j !== i).map((s) => String(s.number));
      for (const n of others) expect(front).not.toContain(n);
    });
  });

  it('is a structurally valid PDF (qpdf --check)', () => {
    expect(execFileSync('qpdf', ['--check', pdfPath], { encoding: 'utf8' })).toContain('No syntax or stream encoding errors found');
  });

  it('makes every page box exactly 85.60 × 53.98 mm (242.65 × 153.01 pt)', () => {
    const boxes = pageBoxes(pdfPath);
    expect(boxes).toHaveLength(6);
    for (const b of boxes) {
      expect(b.media[0]).toBe(0);
      expect(b.media[1]).toBe(0);
      expect(b.media[2]).toBeCloseTo(85.6 * MM, 2);
      expect(b.media[3]).toBeCloseTo(53.98 * MM, 2);
      expect(b.trim).toEqual(b.media);
    }
  });

  it('embeds only the pinned TrueType faces, never a Type 3 font', () => {
    const table = fonts(pdfPath);
    expect(table.length).toBeGreaterThan(0);
    for (const f of table) {
      expect(f.embedded).toBe(true);
      expect(f.type).toBe('CID TrueType');
      expect(f.name).toMatch(/^[A-Z]{6}\+(BIZUDMincho-Regular|BIZUDGothic-Bold|BIZUDGothic-Regular|IPAmjMincho)$/);
    }
  });

  it('prints the front items of the 様式例 with values in 和暦', () => {
    const front = textOf(pageText(pdfPath, 3));
    for (const s of [
      '島根県',
      '国民健康保険',
      '資格確認書',
      '有効期限令和9年7月31日',
      '発効期日令和8年8月1日',
      '記号出雲12',
      '番号0034568',
      '(枝番)02',
      '氏名髙橋﨑子',
      '性別女',
      '生年月日昭和29年9月10日',
      '負担割合2割',
      '適用開始年月日平成26年4月1日',
      '交付年月日令和8年8月1日',
      '世帯主氏名髙橋一郎',
      '住所島根県出雲市大社町杵築東195番地出雲大社前マンション302号',
      '保険者番号320036',
      '交付者名出雲市',
    ]) {
      expect(front).toContain(s);
    }
    expect(front).not.toContain('印'); // the seal is an image, or nothing: never the placeholder text
  });

  it('leaves 発効期日 and 負担割合 off a holder under 70', () => {
    const front = textOf(pageText(pdfPath, 1));
    expect(front).not.toContain('発効期日');
    expect(front).not.toContain('負担割合');
  });

  it('prints the 特別療養費 title, 裏面参照 and the 戸籍上の性別 remark', () => {
    expect(textOf(pageText(pdfPath, 5))).toContain('資格確認書特別療養費');
    expect(textOf(pageText(pdfPath, 5))).toContain('性別裏面参照');
    const back = textOf(pageText(pdfPath, 6));
    expect(back).toContain('備考');
    expect(back.indexOf('戸籍上の性別は女')).toBeLessThan(back.indexOf('※以下の欄'));
    expect(back).toContain('令和8年8月1日住所変更');
  });

  it('prints the organ-donation section word for word', () => {
    const back = textOf(pageText(pdfPath, 2));
    for (const s of [
      '※以下の欄に記入することにより臓器提供に関する意思を表示することができます。記入する場合は、1から3までのいずれかの番号を○で囲んでください。',
      '1.私は、脳死後及び心臓が停止した死後のいずれでも、移植の為に臓器を提供します。',
      '2.私は、心臓が停止した死後に限り、移植の為に臓器を提供します。',
      '3.私は、臓器を提供しません。',
      '《1又は2を選んだ方で、提供したくない臓器があれば、×をつけてください。》',
      '【心臓・肺・肝臓・腎臓・膵臓・小腸・眼球】',
      '〔特記欄:〕',
      '署名年月日:年月日',
      '本人署名(自筆):',
      '家族署名(自筆):',
    ]) {
      expect(back).toContain(s);
    }
  });

  it('underlines 心臓が停止した死後に限り、 and draws signature lines long enough to sign (≥ 50 mm)', () => {
    const img = greyPage(pdfPath, 2, 300);
    const px = 300 / 25.4;
    const runs = horizontalRuns(img, Math.round(15 * px));
    // Group runs on adjacent rows into lines, keep their length in mm.
    const lines: { y: number; mm: number }[] = [];
    for (const r of runs) {
      const last = lines.at(-1);
      if (last && r.y - last.y <= 3 && Math.abs(r.length / px - last.mm) < 1) continue;
      lines.push({ y: r.y, mm: r.length / px });
    }
    const underline = lines.filter((l) => l.mm > 20 && l.mm < 30);
    const signature = lines.filter((l) => l.mm >= 50 && l.mm < 70);
    expect(underline).toHaveLength(1);
    expect(signature).toHaveLength(2);
    expect(signature[1]!.y - signature[0]!.y).toBeGreaterThan(4 * px); // a row each, tall enough to write in
  });

  it('keeps the organ-donation block at the same place on every card', () => {
    const tops = [2, 4, 6].map((page) => {
      const img = greyPage(pdfPath, page, 150);
      return horizontalRuns(img, Math.round(75 * (150 / 25.4))).map((r) => r.y);
    });
    expect(tops[1]).toEqual(tops[0]);
    expect(tops[2]).toEqual(tops[0]);
  });

  it('gives byte-identical PDFs for the same input', async () => {
    const again = await engine.renderPdf('kokuho-card', samples);
    expect(Buffer.from(again.pdf).equals(Buffer.from(pdfBytes))).toBe(true);
  });

  it('rasterizes each page to 1011 × 638 px at 300 dpi with the density in the file', async () => {
    const pngs = await rasterizePdf(pdfBytes, 6, layout.page, 300);
    expect(pngs).toHaveLength(6);
    for (const png of pngs) {
      expect(png.readUInt32BE(16)).toBe(1011);
      expect(png.readUInt32BE(20)).toBe(638);
      const phys = png.indexOf('pHYs');
      expect(phys).toBeGreaterThan(0);
      expect(png.readUInt32BE(phys + 4)).toBe(11811); // pixels per metre = 300 dpi
      expect(png.readUInt32BE(phys + 8)).toBe(11811);
      expect(png[phys + 12]).toBe(1); // unit: metre
    }
  });

  it('rejects a name too long for its box, naming the record and field, instead of cutting it off', async () => {
    const long = { ...samples[0], name: '寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処' };
    const err = await engine.renderPdf('kokuho-card', [samples[1], long]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).problems).toEqual([
      expect.objectContaining({ record: 2, path: 'name', label: '氏名', message: expect.stringMatching(/too long for its box/) }),
    ]);
  });

  it('prints markup in a name as text', async () => {
    const rec = { ...samples[0], name: '<b>山田</b>' };
    const path = join(dir, 'markup.pdf');
    writeFileSync(path, (await engine.renderPdf('kokuho-card', [rec])).pdf);
    expect(textOf(pageText(path, 1))).toContain('氏名<b>山田</b>');
  });
});
