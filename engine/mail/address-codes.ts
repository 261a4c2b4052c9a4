// A record's カスタマバーコード data: its postal code and 住所表示番号, or why it gets no barcode. Never a
// wrong barcode: whatever cannot be matched to Japan Post's data and rules is refused with its reason
// (docs/spec/mailing.md; the three no-barcode cases).
import { extractAddressNumber, kanjiNumber, normalizeAddress, readKanjiNumbers } from './address-number.ts';
import { symbolChars, type BarcodeChar } from './customer-barcode.ts';
import { isRepresentativeCode, townsOf, type PostalTown } from './postal-data.ts';
import { recordSchema } from '../records/schema.ts';

/** The barcode data of one address, or the reason it has none. */
export type AddressCodes =
  | {
      /** The 7-digit postal code. */
      postal: string;
      /** The 住所表示番号 as extracted, before padding or cutting, with letters as letters. */
      number: string;
      /** The check character: a digit, `-`, or `CC1`…`CC8`. */
      check: BarcodeChar;
      /** The 21 characters of the symbol (postal code, 13 address characters, check character). */
      chars: BarcodeChar[];
    }
  | { reason: string };

/** What of a record the barcode is made from: `mailingAddress`, else `address`. */
export interface MailingFields {
  postalCode?: unknown;
  mailingAddress?: unknown;
  address?: unknown;
}

// 漢数字 the supplementary rule could not turn into digits, standing alone where an address number stands:
// right after a number, a hyphen or a word the rule reads, and before the end, a blank, a hyphen or a digit
// (三丁目四-五, 一ノ三ノ二). The rules would drop them and give a wrong 住所表示番号, so such an address is
// refused instead; 3番三井ビル is a name, read as the rules say.
const UNREAD_KANJI_NUMBER = /(?:[0-9-]|丁目|丁|番地|番|号|地割|線|の|ノ)[〇零一二三四五六七八九十百千]+(?=$|[\s0-9-])/u;

/** The part of `address` (normalised) after the 町域名 of `town`, or null when it does not lie in that town. */
function afterTown(address: string, town: PostalTown): string | null {
  let rest = address.trimStart();
  const prefecture = normalizeAddress(town.prefecture);
  if (rest.startsWith(prefecture)) rest = rest.slice(prefecture.length).trimStart();
  const city = normalizeAddress(town.city);
  // A 郡 is often left out of an address (西多摩郡奥多摩町 written 奥多摩町).
  const cities = city.includes('郡') ? [city, city.slice(city.indexOf('郡') + 1)] : [city];
  // A 町域名 with 漢数字 may be written with digits (南一条西 as 南1条西): both are its name.
  const names = [...new Set([town.town, town.town.replace(/[〇一二三四五六七八九十百千]+/gu, (run) => String(kanjiNumber(run)))])];
  const name = normalizeAddress(town.town);
  // With the postal code written, the 市区町村 may be left out, but never the 町域名 (manual p04, 注1).
  const named = cities.find((c) => rest.startsWith(c)) ?? (name === '' ? undefined : '');
  if (named === undefined) return null;
  rest = rest.slice(named.length).trimStart();
  if (name === '') return rest;
  // 大字 and 字 may stand in an address before a 町域名 that the data gives without them (mailing.md).
  for (const written of names.map(normalizeAddress)) {
    for (const prefix of ['', '大字', '字']) if (rest.startsWith(prefix + written)) return rest.slice(prefix.length + written.length);
  }
  return null;
}

/**
 * The barcode data of a record (its postal code and mailing address), or the reason it gets none: no or a
 * malformed postal code, an unknown or representative postal code, an address outside the code's towns, or
 * an address the rules cannot read.
 */
export function addressCodes(record: MailingFields): AddressCodes {
  if (record.postalCode === undefined) return { reason: 'no 郵便番号 (postalCode)' };
  const parsed = recordSchema.shape.postalCode.safeParse(record.postalCode);
  if (!parsed.success || parsed.data === undefined) return { reason: '郵便番号 (postalCode) is not 7 digits (123-4567 or 1234567)' };
  const postal = parsed.data;
  const raw = record.mailingAddress ?? record.address;
  if (typeof raw !== 'string' || raw.trim() === '') return { reason: 'no address (mailingAddress or address)' };
  const towns = townsOf(postal);
  if (towns.length === 0) return { reason: `郵便番号 ${postal} is not in Japan Post's postal-code data` };
  if (isRepresentativeCode(postal)) {
    return { reason: `郵便番号 ${postal} is a representative code (以下に掲載がない場合): Japan Post allows no barcode for it` };
  }
  const address = normalizeAddress(raw);
  // The longest 町域名 that the address starts with wins: 北六条東 before 北六条 when a code has both.
  const rests = towns.map((t) => afterTown(address, t)).filter((r): r is string => r !== null);
  if (rests.length === 0) {
    const names = [...new Set(towns.map((t) => `${t.prefecture}${t.city}${t.town}`))].join('、');
    return { reason: `the address is not in a town of 郵便番号 ${postal} (${names}): check the postal code` };
  }
  const rest = rests.reduce((a, b) => (b.length < a.length ? b : a));
  if (UNREAD_KANJI_NUMBER.test(readKanjiNumbers(rest))) {
    return { reason: 'the address writes a number in 漢数字 that the rules cannot read (not before 丁目, 番地, 番, 号…)' };
  }
  const number = extractAddressNumber(rest);
  if (!/\d/.test(number)) return { reason: 'the address has no 住所表示番号 after its 町域名 (no number to read)' };
  const chars = symbolChars(postal, number);
  return { postal, number, check: chars.at(-1) as BarcodeChar, chars };
}
