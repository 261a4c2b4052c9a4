// The mailing summary of a mailing run, beside its PDF: `OUT.mailing.json` (counts only) and
// `OUT.mailing.pdf` (the same, printable for the 差出票), each written aside and renamed into place.
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { mailingSummary, type MailingSummary, type SummaryRun } from '../mail/mailing-summary.ts';
import { mailingSummaryPdf } from '../mail/mailing-summary-pdf.ts';
import type { EnvelopeOutput } from './summary.ts';

/** The summary of a run's envelopes: counts by 郵便区, sheets and barcode; never an address. */
export function summaryOfEnvelopes(
  run: Omit<SummaryRun, 'createdAt'>,
  envelopes: readonly EnvelopeOutput[],
  createdAt = new Date(),
): MailingSummary {
  return mailingSummary(
    { ...run, createdAt: createdAt.toISOString() },
    envelopes.map((e) => ({ postalCode: e.postalCode, sheets: e.sheets, records: e.records.length, barcode: e.barcode !== null })),
  );
}

function writeAtomically(path: string, bytes: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Writes `out.mailing.json` and `out.mailing.pdf`; answers the summary. */
export async function writeMailingSummary(
  out: string,
  run: Omit<SummaryRun, 'createdAt'>,
  envelopes: readonly EnvelopeOutput[],
): Promise<MailingSummary> {
  const summary = summaryOfEnvelopes(run, envelopes);
  writeAtomically(`${out}.mailing.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeAtomically(`${out}.mailing.pdf`, await mailingSummaryPdf(summary));
  return summary;
}
