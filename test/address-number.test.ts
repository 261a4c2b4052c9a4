// 住所表示番号: Japan Post's extraction rules (郵便番号・バーコードマニュアル p17–p25; docs/spec/mailing.md),
// on the part of an address after its 町域名. Expected values are worked out by hand from the rules.
import { describe, expect, it } from 'vitest';
import { extractAddressNumber, kanjiNumber, normalizeAddress } from '../engine/index.ts';

describe('漢数字', () => {
  it('read as numbers, with 十・百・千 or positionally', () => {
    expect([kanjiNumber('四'), kanjiNumber('十'), kanjiNumber('十一'), kanjiNumber('二十一'), kanjiNumber('百五')]).toEqual([
      4, 10, 11, 21, 105,
    ]);
    expect([kanjiNumber('一〇九'), kanjiNumber('千二百三十四'), kanjiNumber('三百')]).toEqual([109, 1234, 300]);
  });
});

describe('the basic rules', () => {
  it('keep digits and hyphens and turn whatever stands before them into one hyphen', () => {
    expect(extractAddressNumber('1丁目3番2号 郵便プラザ503室')).toBe('1-3-2-503');
  });

  it('drop a leading hyphen and what follows the last kept character', () => {
    expect(extractAddressNumber(' 南田茂木 添60-1')).toBe('60-1');
    expect(extractAddressNumber('4丁目 郵便センター6号館')).toBe('4-6');
  });

  it('merge hyphens', () => {
    expect(extractAddressNumber('3丁目-20-5')).toBe('3-20-5');
  });

  it('read full-width digits and letters, and lowercase letters, as ASCII capitals', () => {
    expect(extractAddressNumber('２－５－１１ ｂ棟')).toBe('2-5-11B');
    expect(normalizeAddress('鎌ヶ谷市ｶﾏｶﾞﾔ')).toBe('鎌ケ谷市カマガヤ');
  });

  it('delete & / ・ . before reading, so A&b is a run of two letters and not kept', () => {
    expect(extractAddressNumber('3丁目-20-5 郵便・A&bコーポB604号')).toBe('3-20-5B604');
    expect(extractAddressNumber('1-2-3 C&D棟')).toBe('1-2-3');
    expect(extractAddressNumber('1.2/3')).toBe('123');
  });

  it('do not keep runs of two or more letters', () => {
    expect(extractAddressNumber('5-6-3 ABCビル10F')).toBe('5-6-3-10');
  });
});

describe('the supplementary rules', () => {
  it('turn 漢数字 before 丁目, 丁, 番地, 番, 号, 地割, 線, の and ノ into digits', () => {
    expect(extractAddressNumber('十一丁目六番地一号 郵便タワー601')).toBe('11-6-1-601');
    expect(extractAddressNumber('四丁六番十九号')).toBe('4-6-19');
    expect(extractAddressNumber('第二十一地割大淵川480')).toBe('21-480');
    expect(extractAddressNumber('七線 西28')).toBe('7-28');
    expect(extractAddressNumber('一ノ三の二番')).toBe('1-3-2');
  });

  it('leave other 漢数字 unread, as any other character', () => {
    expect(extractAddressNumber('第2郵便ハウス501')).toBe('2-501');
    expect(extractAddressNumber('1-2 三ツ星ビル5')).toBe('1-2-5');
  });

  it('drop an F after a digit, as a hyphen when something kept follows', () => {
    expect(extractAddressNumber('6丁目7-14 ABCビル2F')).toBe('6-7-14-2');
    expect(extractAddressNumber('9丁目7-6 郵便シティA棟1F1号')).toBe('9-7-6A1-1');
    expect(extractAddressNumber('2-1-1 ビル3F301')).toBe('2-1-1-3-301');
  });

  it('remove the hyphens around a letter and keep letters side by side together', () => {
    expect(extractAddressNumber('綾部6-7 LプラザB106')).toBe('6-7LB106');
    expect(extractAddressNumber('3丁目80-25 J1ビル2-B')).toBe('3-80-25J1-2B');
  });

  it('give the whole number, before cutting to 13 characters', () => {
    expect(extractAddressNumber('29丁目1524-23 第2郵便ハウス501')).toBe('29-1524-23-2-501');
  });
});
