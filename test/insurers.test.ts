// Insurer profiles: records that carry only their 保険者番号 take the profile's name, address, seal and
// 問い合わせ先; record fields win over the profile; a record with neither is rejected naming the number; a
// bad profile is refused naming its file. Printed in insurers-printed.test.ts; through the command line
// and the service in insurers-service.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  PrintError,
  loadInsurers,
  loadLayouts,
  getLayout,
  triageRecords,
  validateRecords,
  SAMPLE_INSURERS_DIR,
  type Insurers,
} from '../engine/index.ts';
import { kenpoPerson, koukiPerson, profilesDir } from './helpers/insurer-people.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-insurers-'));
const layouts = loadLayouts();
const SEAL_MM = 10;
let samples: Insurers;

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
    return loadInsurers(profilesDir(dir, [{ insurerNumber: '01320019', name: '全国健康保険協会 島根支部' }]), {
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
    const root = profilesDir(dir, []);
    writeFileSync(join(root, '01130012.json'), JSON.stringify({ insurerNumber: '01320019', name: 'x' }));
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(
      /01130012\.json: its name must be its 保険者番号: 01320019\.json/,
    );
  });

  it('refuse a raster seal under 300 dpi at the seal size, saying how many pixels it needs', async () => {
    const root = profilesDir(dir, [{ insurerNumber: '01320019', name: 'x', seal: 'small.png' }]);
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
    const root = profilesDir(dir, [{ insurerNumber: '01320019', name: 'x', contact: { department: '\uE000課' } }]);
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(/01320019\.json: contact\.department: .*U\+E000/);
  });

  it('give the receipt list its sender: the profile’s name and address unless receipts.sender names others', async () => {
    expect(samples.get('39320015')?.receipts).toEqual({
      sender: { name: '島根県後期高齢者医療広域連合', address: '島根県松江市学園南一丁目2番1号' },
    });
    // The sample 出雲市 adds its 〒 and telephone (insurers/320036.json).
    expect(samples.get('320036')?.receipts.sender).toEqual({
      name: '出雲市',
      postalCode: '693-8530',
      address: '島根県出雲市今市町70番地',
      telephone: '0853-00-0002',
    });
    const root = profilesDir(dir, [
      {
        insurerNumber: '01320019',
        name: 'x',
        receipts: {
          title: '受領証',
          sender: { name: '島根支部 業務グループ', postalCode: '6908531' },
          columns: ['number', 'sheets'],
          envelopeGrams: 0,
        },
      },
    ]);
    expect((await loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).get('01320019')?.receipts).toEqual({
      title: '受領証',
      sender: { name: '島根支部 業務グループ', postalCode: '690-8531' },
      columns: ['number', 'sheets'],
      envelopeGrams: 0,
    });
  });

  it('refuse receipts that a list cannot use, naming the file and the field', async () => {
    const refused = (receipts: unknown) =>
      loadInsurers(profilesDir(dir, [{ insurerNumber: '01320019', name: 'x', receipts }]), { sealMm: SEAL_MM, explicit: true });
    await expect(refused({ columns: [] })).rejects.toThrow(/01320019\.json: receipts\.columns: expected at least one column/);
    await expect(refused({ columns: ['number', 'weight', 'number'] })).rejects.toThrow(
      /01320019\.json: receipts\.columns: names a column twice/,
    );
    await expect(refused({ columns: ['number', 'name'] })).rejects.toThrow(/01320019\.json: receipts\.columns\.1: .*"number"/);
    await expect(refused({ sender: { postalCode: '693-85300' } })).rejects.toThrow(
      /01320019\.json: receipts\.sender\.postalCode: expected a 郵便番号/,
    );
    await expect(refused({ sheetGrams: 0 })).rejects.toThrow(/01320019\.json: receipts\.sheetGrams/);
    await expect(refused({ envelopeGrams: -1 })).rejects.toThrow(/01320019\.json: receipts\.envelopeGrams/);
    await expect(refused({ sender: { telephone: '0853\uE000' } })).rejects.toThrow(
      /01320019\.json: receipts\.sender\.telephone: .*U\+E000/,
    );
    await expect(refused({ stamp: true })).rejects.toThrow(/01320019\.json: receipts: .*stamp/);
  });

  it('refuse a card-code template naming anything but the four numbers, and a folder asked for that is not there', async () => {
    const root = profilesDir(dir, [{ insurerNumber: '01320019', name: 'x', codes: { card: '{insurerNumber}/{name}' } }]);
    await expect(loadInsurers(root, { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(PrintError);
    await expect(loadInsurers(join(dir, 'nowhere'), { sealMm: SEAL_MM, explicit: true })).rejects.toThrow(/does not exist/);
    expect((await loadInsurers(join(dir, 'nowhere'), { sealMm: SEAL_MM, explicit: false })).size).toBe(0);
  });
});
