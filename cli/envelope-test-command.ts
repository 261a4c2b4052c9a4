import { writeFileSync } from 'node:fs';
import { calibrationSheet, getEnvelope, loadEnvelopes } from '../engine/index.ts';
import { requireOption, stringOption } from './options.ts';
import { existingFolder, writableOutput } from './paths.ts';
import { EXIT } from './report.ts';

/**
 * `envelope-test --envelope ID --out FILE [--envelopes DIR]`: the calibration sheet of a window envelope, a
 * one-page PDF of its sheet to print at 100 %, fold and hold against a real envelope (docs/spec/interfaces.md,
 * Mailing). An unknown id exits 2 naming the profiles there are; a profile that cannot be used exits 1.
 */
export async function envelopeTestCommand(values: Record<string, unknown>): Promise<number> {
  const id = requireOption(values, 'envelope');
  const out = requireOption(values, 'out');
  const dir = stringOption(values, 'envelopes');
  if (dir !== undefined) existingFolder('--envelopes', dir);
  writableOutput('--out', out, 'file');
  const envelope = getEnvelope(loadEnvelopes(dir), id);
  writeFileSync(out, await calibrationSheet(envelope));
  process.stderr.write(
    `wrote ${out}: the calibration sheet of ${envelope.id} (${envelope.sheetMm.width} × ${envelope.sheetMm.height} mm); print it at 100 % on plain paper, fold it and hold it in the envelope\n`,
  );
  return EXIT.ok;
}
