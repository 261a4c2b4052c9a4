import type { InsuranceRecord } from './schema.ts';

/**
 * A record's key (docs/spec/interfaces.md, Manifests): the caller's `ref` when given, else the numbers that name
 * one insured person: 保険者番号-記号-番号-枝番, or 保険者番号-被保険者番号 for 後期高齢者医療 (whose 番号
 * is the 被保険者番号). The proof diff matches records of two runs by it.
 */
export function recordKey(record: InsuranceRecord, scheme: string): string {
  if (record.ref !== undefined) return record.ref;
  const parts =
    scheme === 'kouki' ? [record.insurerNumber, record.number] : [record.insurerNumber, record.symbol, record.number, record.branch];
  return parts.filter((p) => p !== undefined && p !== '').join('-');
}
