import { addressCodes, readRecordsFile, UnreadableRecord } from '../engine/index.ts';
import { requireOption } from './options.ts';
import { existingFile } from './paths.ts';
import { EXIT } from './report.ts';

/** One record's line: `RECORD\tPOSTAL\tNUMBER\tCD`, or `RECORD\tunreadable: REASON` (docs/spec/interfaces.md, Mailing). */
export function addressCodesLine(index: number, raw: unknown): string {
  const record = index + 1;
  if (raw instanceof UnreadableRecord) return `${record}\tunreadable: ${raw.message}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${record}\tunreadable: expected an object of fields`;
  const codes = addressCodes(raw);
  return 'reason' in codes ? `${record}\tunreadable: ${codes.reason}` : `${record}\t${codes.postal}\t${codes.number}\t${codes.check}`;
}

/**
 * `address-codes --data FILE`: the カスタマバーコード data of every record, one line each on stdout; exit 0
 * whatever the records hold. Addresses and names go to stdout only, never to a log.
 */
export async function addressCodesCommand(values: Record<string, unknown>): Promise<number> {
  const data = requireOption(values, 'data');
  existingFile('--data', data);
  const raws = await readRecordsFile(data);
  process.stdout.write(raws.map((raw, i) => `${addressCodesLine(i, raw)}\n`).join(''));
  return EXIT.ok;
}
