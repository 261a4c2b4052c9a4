// Insurer profiles, printed: the profile's name, seal and 問い合わせ先 on the documents of records that carry
// only their 保険者番号, nothing at the seal's place without one; the 二次元コード and the QR codes of the new
// documents decode at 150 dpi to what they should carry; a bad profile stops the engine from starting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Engine, rasterizePdf, DEFAULT_CARD_CODE } from '../engine/index.ts';
import { decodeBarcodes, pageText } from './helpers/poppler.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { kenpoPerson, koukiPerson, profilesDir } from './helpers/insurer-people.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-insurers-printed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('insurer profiles: printed', () => {
  let engine: Engine;
  let bare: Engine;
  const custom = profilesDir(dir, [
    {
      insurerNumber: '01320019',
      name: '全国健康保険協会 島根支部',
      address: '島根県松江市殿町383番地',
      codes: { card: 'KK{insurerNumber}{symbol}-{number}-{branch}' },
    },
    {
      insurerNumber: '320036',
      name: '出雲市',
      prefecture: '島根県',
      contact: { department: '出雲市 保険年金課', telephone: '0853-00-0009' },
    },
  ]);
  beforeAll(async () => {
    engine = await sharedEngine();
    bare = await Engine.start({ insurersDir: custom, tabs: 1 });
  });
  afterAll(async () => {
    await bare?.close();
  });

  /** Pixels of the seal's red in a region of a page (mm), at 150 dpi. */
  async function redPixels(
    pdf: Uint8Array,
    pageCount: number,
    size: { widthMm: number; heightMm: number },
    page: number,
    box?: [number, number, number, number],
  ): Promise<number> {
    const pngs = await rasterizePdf(pdf, pageCount, size, 150, { firstPage: page, lastPage: page });
    const { data, info } = await sharp(pngs[0]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const px = (mm: number) => Math.round((mm / 25.4) * 150);
    const [x0, y0, x1, y1] = box ? [px(box[0]), px(box[1]), px(box[0] + box[2]), px(box[1] + box[3])] : [0, 0, info.width, info.height];
    let n = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * info.width + x) * info.channels;
        if ((data[i] ?? 0) > 170 && (data[i + 1] ?? 255) < 110 && (data[i + 2] ?? 255) < 140) n++;
      }
    }
    return n;
  }

  it("a 後期 card from the 保険者番号 alone: the profile's name, and its seal in red in the seal box", async () => {
    const { pdf, pageCount } = await engine.renderPdf('kouki-card', [koukiPerson]);
    const file = join(dir, 'kouki-card.pdf');
    writeFileSync(file, pdf);
    expect(pageText(file, 1)).toContain('島根県後期高齢者医療広域連合');
    expect(pageText(file, 1)).not.toContain('印');
    const page = { widthMm: 85.6, heightMm: 53.98 };
    // the 7 mm seal box: 1 mm in from the 3 mm padding, its foot on the 交付者名 row's foot, in the last 14 mm
    const inBox = await redPixels(pdf, pageCount, page, 1, [85.6 - 4 - 7.2, 40, 7.4, 13.98]);
    expect(inBox).toBeGreaterThan(300);
    expect(await redPixels(pdf, pageCount, page, 1)).toBe(inBox);
  });

  it("a notice from the 保険者番号 alone carries the profile's 問い合わせ先", async () => {
    const { pdf } = await engine.renderPdf('kouki-notice', [koukiPerson]);
    const file = join(dir, 'kouki-notice.pdf');
    writeFileSync(file, pdf);
    const text = pageText(file, 1);
    expect(text).toContain('【お問い合わせ先】');
    expect(text).toContain('島根県後期高齢者医療広域連合 業務課');
    expect(text).toContain('〒690-0048 島根県松江市学園南一丁目2番1号');
  });

  it("with no seal configured, nothing prints at the seal's place: no placeholder, no red", async () => {
    const kokuho = JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >[];
    const { insurerName: _n, prefecture: _p, ...person } = kokuho[0] as Record<string, unknown>;
    const { pdf, pageCount } = await bare.renderPdf('kokuho-card', [person]);
    const file = join(dir, 'kokuho-bare.pdf');
    writeFileSync(file, pdf);
    expect(pageText(file, 1)).toContain('出雲市');
    expect(pageText(file, 1)).not.toContain('印');
    expect(await redPixels(pdf, pageCount, { widthMm: 85.6, heightMm: 53.98 }, 1)).toBe(0);
    // and the 健康保険 card prints no 公印 text without a seal
    const kenpo = await bare.renderPdf('kenpo-card', [kenpoPerson]);
    writeFileSync(join(dir, 'kenpo-bare.pdf'), kenpo.pdf);
    expect(pageText(join(dir, 'kenpo-bare.pdf'), 1)).not.toContain('公印');
  });

  it("the 健康保険 card's 二次元コード decodes at 150 dpi to the default payload, or to the profile's template", async () => {
    const sample = await engine.renderPdf('kenpo-card', [kenpoPerson, { ...kenpoPerson, number: '7', branch: '01' }]);
    const file = join(dir, 'kenpo-card.pdf');
    writeFileSync(file, sample.pdf);
    expect(DEFAULT_CARD_CODE).toBe('{insurerNumber}/{symbol}/{number}/{branch}');
    expect(decodeBarcodes(file, 1, 150)).toEqual(['QR-Code:01320019/32010203/45/00']);
    expect(decodeBarcodes(file, 3, 150)).toEqual(['QR-Code:01320019/32010203/7/01']);
    const templated = await bare.renderPdf('kenpo-card', [kenpoPerson]);
    writeFileSync(join(dir, 'kenpo-templated.pdf'), templated.pdf);
    expect(decodeBarcodes(join(dir, 'kenpo-templated.pdf'), 1, 150)).toEqual(['QR-Code:KK0132001932010203-45-00']);
  });

  it("the new notices' QR codes decode at 150 dpi: the 後期 notice's and the card-type notice's", async () => {
    const kouki = await engine.renderPdf('kouki-notice', [koukiPerson]);
    writeFileSync(join(dir, 'kouki-qr.pdf'), kouki.pdf);
    expect(decodeBarcodes(join(dir, 'kouki-qr.pdf'), 1, 150)).toEqual(['QR-Code:https://myna.go.jp/']);
    const url = 'https://myna.go.jp/SCK0101_01_001/SCK0101_01_001_InitDiscsys.form';
    const card = await engine.renderPdf('kenpo-notice-card', [
      {
        ...kenpoPerson,
        expiryDate: undefined,
        relationship: undefined,
        sex: undefined,
        birthDate: undefined,
        myNumberLast4: '1234',
        portalUrl: url,
      },
    ]);
    writeFileSync(join(dir, 'notice-card.pdf'), card.pdf);
    expect(card.pageCount).toBe(2);
    expect(decodeBarcodes(join(dir, 'notice-card.pdf'), 2, 150)).toEqual([`QR-Code:${url}`]);
  });

  it('a profiles folder that is wrong stops the engine from starting, naming the file', async () => {
    const root = profilesDir(dir, [{ insurerNumber: '01320019', name: 'x', colors: { seal: 'red' } }]);
    mkdirSync(join(root, 'empty'));
    await expect(Engine.start({ insurersDir: root })).rejects.toThrow(/01320019\.json: colors\.seal: expected a colour #rrggbb/);
  });
});
