// Insurer profiles: records that carry only their 保険者番号 print with the profile's name, address, seal
// and 問い合わせ先; record fields win over the profile; a record with neither is rejected naming the
// number; a bad profile stops the start naming its file. The 二次元コード and the QR codes of the new
// documents decode at 150 dpi to what they should carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  Engine,
  PrintError,
  loadInsurers,
  loadLayouts,
  getLayout,
  rasterizePdf,
  triageRecords,
  validateRecords,
  SAMPLE_INSURERS_DIR,
  DEFAULT_CARD_CODE,
  type Insurers,
} from '../engine/index.ts';
import { decodeBarcodes, pageText } from './helpers/poppler.ts';
import { cli } from './helpers/cli.ts';
import { AUTH, startTestService, waitForJob } from './helpers/service.ts';
import { configFromEnv } from '../server/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-insurers-'));
const layouts = loadLayouts();
const SEAL_MM = 10;
let samples: Insurers;

/** A person of the 島根 後期高齢者医療 union, with no insurer fields of their own. */
const koukiPerson = {
  insurerNumber: '39320015',
  number: '00123456',
  name: '石橋 梅',
  nameKana: 'イシバシ ウメ',
  sex: '女',
  birthDate: '1944-03-03',
  address: '島根県出雲市今市町1234番地',
  qualifiedDate: '2019-03-03',
  issueDate: '2026-08-01',
  expiryDate: '2027-07-31',
  effectiveDate: '2026-08-01',
  copayRate: 1,
};
/** A 協会けんぽ member with no insurer fields of their own. */
const kenpoPerson = {
  insurerNumber: '01320019',
  symbol: '32010203',
  number: '45',
  branch: '00',
  name: '協会 太郎',
  nameKana: 'キョウカイ タロウ',
  sex: '男',
  birthDate: '1989-05-10',
  qualifiedDate: '2024-12-02',
  issueDate: '2024-12-02',
  expiryDate: '2029-11-30',
  relationship: '本人',
};

/** A folder of profiles: the samples' seals, and `profiles` written as <number>.json. */
function profilesDir(profiles: Record<string, unknown>[]): string {
  const root = mkdtempSync(join(dir, 'profiles-'));
  cpSync(join(SAMPLE_INSURERS_DIR, 'seals'), join(root, 'seals'), { recursive: true });
  for (const p of profiles) writeFileSync(join(root, `${String(p.insurerNumber)}.json`), JSON.stringify(p));
  return root;
}

beforeAll(async () => {
  samples = await loadInsurers(SAMPLE_INSURERS_DIR, { sealMm: SEAL_MM, explicit: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('insurer profiles: records', () => {
  it('take the fields they leave out from their profile, and keep their own', () => {
    const layout = getLayout(layouts, 'kouki-card');
    const [fromProfile, own] = validateRecords([koukiPerson, { ...koukiPerson, insurerName: '浜田事務所' }], layout, { insurers: samples });
    expect(fromProfile?.insurerName).toBe('島根県後期高齢者医療広域連合');
    expect(own?.insurerName).toBe('浜田事務所');
  });

  it('without a profile and without the fields are rejected, the message naming the 保険者番号', () => {
    const layout = getLayout(layouts, 'kouki-card');
    const { problems } = triageRecords([{ ...koukiPerson, insurerNumber: '39010004' }], layout, { insurers: samples });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('insurerName');
    expect(problems[0]?.message).toContain('no insurer profile for 保険者番号 39010004');
    // and with no profiles folder at all, the same
    const none = triageRecords([koukiPerson], layout).problems;
    expect(none[0]?.message).toContain('no insurer profile for 保険者番号 39320015');
  });

  it('whose profile lacks a field a layout requires are told the profile does not give it', () => {
    const layout = getLayout(layouts, 'kenpo-card');
    return loadInsurers(profilesDir([{ insurerNumber: '01320019', name: '全国健康保険協会 島根支部' }]), {
      sealMm: SEAL_MM,
      explicit: true,
    }).then((insurers) => {
      const { problems } = triageRecords([kenpoPerson], layout, { insurers });
      expect(problems.map((p) => p.path)).toEqual(['insurerAddress']);
      expect(problems[0]?.message).toContain('the insurer profile 01320019.json does not give it either');
    });
  });
});

describe('insurer profiles: loading', () => {
  it('reads the samples: three insurers, their seals turned into the seal colour', async () => {
    expect(samples.size).toBe(3);
    const seal = samples.get('01320019')?.seal;
    expect(seal?.urlPath).toMatch(/^\/img\/seal-[0-9a-f]{16}\.png$/);
    const { data, info } = await sharp(seal?.png).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<string>();
    for (let i = 0; i < data.length; i += info.channels)
      if ((data[i + 3] ?? 0) > 0) colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
    expect([...colours]).toEqual(['230,0,51']); // #e60033, whatever the artwork's colour
    expect(samples.get('320036')?.seal?.widthPx).toBe(Math.round((600 * SEAL_MM) / 25.4)); // the SVG, drawn at 600 dpi
  });

  it('refuse a profile named otherwise than its number, naming the file', async () => {
    const root = profilesDir([]);
    writeFileSync(join(root, '01130012.json'), JSON.stringify({ insurerNumber: '01320019', name: 'x' }));
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(
      /01130012\.json: its name must be its 保険者番号: 01320019\.json/,
    );
  });

  it('refuse a raster seal under 300 dpi at the seal size, saying how many pixels it needs', async () => {
    const root = profilesDir([{ insurerNumber: '01320019', name: 'x', seal: 'small.png' }]);
    await sharp({ create: { width: 80, height: 80, channels: 4, background: '#000' } })
      .png()
      .toFile(join(root, 'small.png'));
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(
      /80×80 px: 203 dpi at 10 mm, where 300 dpi needs 119 px/,
    );
    // 119 px is enough
    await sharp({ create: { width: 119, height: 119, channels: 4, background: '#000' } })
      .png()
      .toFile(join(root, 'small.png'));
    expect((await loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).get('01320019')?.seal).not.toBeNull();
  });

  it('refuse text the pinned fonts cannot draw, naming the field', async () => {
    const root = profilesDir([{ insurerNumber: '01320019', name: 'x', contact: { department: '\uE000課' } }]);
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(/01320019\.json: contact\.department: .*U\+E000/);
  });

  it('refuse a card-code template naming anything but the four numbers, and a folder asked for that is not there', async () => {
    const root = profilesDir([{ insurerNumber: '01320019', name: 'x', codes: { card: '{insurerNumber}/{name}' } }]);
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(PrintError);
    await expect(loadInsurers(join(dir, 'nowhere'), { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(/does not exist/);
    expect((await loadInsurers(join(dir, 'nowhere'), { sealMm: SEAL_MM, explicit: false })).size).toBe(0);
  });
});

describe('insurer profiles: the command line and the service', () => {
  it('render --insurers DIR completes records from that folder; without a profile it exits 2 naming the number', async () => {
    const data = join(dir, 'kouki.json');
    writeFileSync(data, JSON.stringify([koukiPerson]));
    const ok = await cli(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli.pdf'),
      '--insurers',
      SAMPLE_INSURERS_DIR,
      '--quiet',
    );
    expect(ok.code).toBe(0);
    expect(pageText(join(dir, 'cli.pdf'), 1)).toContain('島根県後期高齢者医療広域連合');
    const bad = await cli(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli2.pdf'),
      '--insurers',
      profilesDir([]),
      '--quiet',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no insurer profile for 保険者番号 39320015');
    const missing = await cli(
      'render',
      '--layout',
      'kouki-card',
      '--data',
      data,
      '--out',
      join(dir, 'cli3.pdf'),
      '--insurers',
      join(dir, 'nowhere'),
      '--quiet',
    );
    expect(missing.code).toBe(2); // a folder named on the command line that is not there: bad usage
    expect(missing.stderr).toContain('does not exist');
  });

  it("SHIKAKU_INSURERS_DIR names the service's folder; a job prints records completed from it and rejects the one without, naming the number", async () => {
    expect(configFromEnv({ SHIKAKU_INSURERS_DIR: '/srv/insurers' }).insurersDir).toBe('/srv/insurers');
    expect(configFromEnv({}).insurersDir).toBeUndefined();
    const svc = await startTestService({ engine: { insurersDir: SAMPLE_INSURERS_DIR, tabs: 1 } });
    try {
      const res = await fetch(`${svc.base}/v1/jobs?layout=kouki-card`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify([koukiPerson, { ...koukiPerson, insurerNumber: '39010004' }]),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const job = await waitForJob(svc.base, id);
      expect(job.state).toBe('done');
      expect(job.progress).toMatchObject({ done: 1, total: 2, rejected: 1 });
      expect(job.rejections[0]).toMatchObject({ record: 2, path: 'insurerName' });
      expect(job.rejections[0]?.message).toContain('no insurer profile for 保険者番号 39010004');
      const pdf = join(dir, 'job.pdf');
      writeFileSync(pdf, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
      expect(pageText(pdf, 1)).toContain('島根県後期高齢者医療広域連合');
    } finally {
      await svc.close();
    }
  });
});

describe('insurer profiles: printed', () => {
  let engine: Engine;
  let bare: Engine;
  const custom = profilesDir([
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
    engine = await Engine.start({ insurersDir: SAMPLE_INSURERS_DIR });
    bare = await Engine.start({ insurersDir: custom, tabs: 1 });
  });
  afterAll(async () => {
    await engine?.close();
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
    const root = profilesDir([{ insurerNumber: '01320019', name: 'x', colors: { seal: 'red' } }]);
    mkdirSync(join(root, 'empty'));
    await expect(Engine.start({ insurersDir: root })).rejects.toThrow(/01320019\.json: colors\.seal: expected a colour #rrggbb/);
  });
});
