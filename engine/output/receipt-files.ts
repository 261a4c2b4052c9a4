// A registered run's receipt list beside its PDF: FILE.pdf (the 差出票 / 受領証 to print) and FILE.csv (the same
// rows), both made before either is written, each written aside and renamed into place.
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Insurers } from '../insurers/profiles.ts';
import { receiptCsv, receiptList, registeredRun, senderSettings, type ReceiptManifest } from '../mail/receipt-list.ts';
import { receiptListPdf, receiptPageCount } from '../mail/receipt-list-pdf.ts';

/** What a receipt list holds. */
export interface ReceiptListWritten {
  pieces: number;
  pages: number;
  /** The lowest and highest お問い合わせ番号, printed form. */
  first: string;
  last: string;
  /** The CSV's path. */
  csv: string;
}

/** The CSV beside a receipt list's PDF: `X.pdf` → `X.csv` (`X` → `X.csv` for another name). */
export function receiptCsvPath(pdf: string): string {
  return `${pdf.replace(/\.pdf$/i, '')}.csv`;
}

/**
 * Writes the receipt list of a registered run's manifest to `pdf` and its CSV beside it, the sender taken
 * from the insurer profile of the run's 保険者番号. Refused (INVALID_INPUT, nothing written) for a manifest
 * that is not a registered run's and for a run whose insurer has no profile in `insurers`.
 */
export async function writeReceiptList(manifest: ReceiptManifest, insurers: Insurers, pdf: string): Promise<ReceiptListWritten> {
  const list = receiptList(manifest, senderSettings(registeredRun(manifest).insurerNumber, insurers));
  const csv = receiptCsvPath(pdf);
  const files: [string, string | Uint8Array][] = [
    [pdf, await receiptListPdf(list)],
    [csv, receiptCsv(list)],
  ];
  const aside = files.map(([path, bytes]) => {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    return [tmp, path] as const;
  });
  for (const [tmp, path] of aside) renameSync(tmp, path);
  return { pieces: list.rows.length, pages: receiptPageCount(list.rows.length), first: list.summary.first, last: list.summary.last, csv };
}
