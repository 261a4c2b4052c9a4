import { startEngine } from './start-engine.ts';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  getLayout,
  loadLayouts,
  loadEngineInsurers,
  readRecordsFile,
  validateRecords,
  writePdfOutput,
  writePngOutput,
  parseOutputOptions,
  outputPageSize,
  renderMailRun,
  checkMailable,
  writeMailingSummary,
  writeReceiptList,
  senderSettings,
  parseBand,
  NumberStore,
  type InquiryBand,
  type RegisteredKind,
  type TakenNumbers,
  type MailMode,
  type MailRunSummary,
  type RasterizeOptions,
  type PdfSink,
} from '../engine/index.ts';
import { dataDir, inCi, sourceDate } from '../config/env.ts';
import { requireOption, intOption, formatOption, pngOption, stringOption } from './options.ts';
import { existingFile, existingFolder, writableOutput } from './paths.ts';
import { Progress, progressMode, bytes, type Stage } from './progress.ts';
import { EXIT, UsageError } from './report.ts';

/**
 * `render`: records file in, PDF (or a folder of PNGs) and its manifest out; nothing out when any record is
 * bad. Progress on stderr through every stage: reading, checking, rendering, and the PNG pages.
 */
export async function renderCommand(values: Record<string, unknown>): Promise<number> {
  const layoutId = requireOption(values, 'layout');
  const data = requireOption(values, 'data');
  const out = requireOption(values, 'out');
  const format = formatOption(values);
  const dpi = intOption(values, 'dpi', 50, 1200) ?? 300;
  const png = pngOption(values);
  const quiet = values.quiet === true;
  const output = parseOutputOptions({
    ...values,
    bleed: values.bleed === true ? 'true' : undefined,
    pdfvt: typeof values.pdfvt === 'boolean' ? String(values.pdfvt) : undefined,
  });
  output.documentDate = sourceDate();
  const icc = stringOption(values, 'icc');
  const insurersDir = stringOption(values, 'insurers');
  if (icc && output.color !== 'press') throw new UsageError('--icc is the press profile: give --color press too');
  const mail = stringOption(values, 'mail') as MailMode | undefined;
  const sort = stringOption(values, 'sort') as 'postal' | undefined;
  const envelope = stringOption(values, 'envelope');
  const registered = stringOption(values, 'registered') as RegisteredKind | undefined;
  const numbersText = stringOption(values, 'numbers');
  if (sort && !mail) throw new UsageError('--sort postal orders the envelopes of a mailing run: give --mail too');
  if (registered && !mail) throw new UsageError('--registered numbers the envelopes of a mailing run: give --mail too');
  if (numbersText !== undefined && !registered)
    throw new UsageError('--numbers is the band of お問い合わせ番号 of registered mail: give --registered kani|tokutei|ippan too');
  const band = numbersText === undefined ? undefined : usageOf(() => parseBand(numbersText), '--numbers');
  if (mail && (output.impose || output.split || output.color === 'press' || output.bleed || output.pdfvt))
    throw new UsageError(
      '--mail makes trim A4 sheets for an inserting line: leave --impose, --split, --bleed, --color press and --pdfvt out',
    );
  if (mail && format !== 'pdf') throw new UsageError('--mail writes one PDF: leave --format png out');
  if (format === 'png' && output.color === 'press')
    throw new UsageError('--color press makes a PDF for a press; PNG pages are proofs: leave --color out');
  if (format === 'png' && output.pdfvt) throw new UsageError('--pdfvt makes a PDF for a press; PNG pages are proofs: leave --pdfvt out');
  // Every path is checked before anything is read or rendered: a typo fails in a moment, with its option.
  existingFile('--data', data);
  writableOutput('--out', out, format === 'pdf' ? 'file' : 'folder');
  if (insurersDir !== undefined) existingFolder('--insurers', insurersDir);
  if (icc !== undefined) existingFile('--icc', icc);

  const progress = new Progress('render', progressMode(quiet, inCi()));
  const started = Date.now();
  try {
    // Everything that can be checked without a browser is checked first, so bad input fails in a moment.
    const layouts = loadLayouts();
    const layout = getLayout(layouts, layoutId);
    const insurers = await loadEngineInsurers(layouts, insurersDir);
    const reading = progress.stage(`reading ${basename(data)}`, statSync(data).size, { amount: bytes });
    const raws = await readRecordsFile(data, { onBytes: (read) => reading.update(read) });
    const checking = progress.stage('checking', raws.length, { unit: 'records' });
    const records = validateRecords(raws, layout, { insurers });
    const mailable = mail ? checkMailable(layouts, layout, records, raws, mail, registered) : undefined;
    // A registered run's receipt list names its sender from the insurer profile: known before anything prints.
    if (registered) senderSettings(records[0]?.insurerNumber ?? null, insurers);
    checking.update(raws.length);
    // Registered mail: the numbers are taken (and kept in the data folder) before Chromium starts.
    const taken = registered && mailable ? await takeNumbers(registered, band, mailable.needNumbers, basename(out)) : undefined;
    let written = false;
    try {
      // The rendering stage includes Chromium's start: the operator waits for both.
      const rendering = progress.stage('rendering', raws.length, { unit: 'records' });
      const engine = await startEngine({ insurers });
      try {
        const name = basename(out);
        let mailed: MailRunSummary | undefined;
        const onProgress = ({ recordsDone }: { recordsDone: number }) => rendering.update(recordsDone);
        const produce = async (sink: PdfSink) => {
          const summary = mail
            ? (mailed = await renderMailRun(engine, layoutId, raws, sink, {
                mail,
                sort: sort ?? 'input',
                envelope,
                name,
                onProgress,
                ...(registered ? { registered: { kind: registered, numbers: taken?.numbers } } : {}),
              }))
            : await engine.render(layoutId, raws, sink, { output, name, icc, envelope, fieldMap: true, onProgress });
          rendering.end();
          return summary;
        };
        const manifest =
          format === 'pdf'
            ? await writePdfOutput(out, produce)
            : await writePngOutput(out, dpi, outputPageSize(layout, output), produce, { png, onProgress: pngProgress(progress) });
        written = true;
        progress.end();
        if (mail && mailed) {
          const run = { name, layout: layout.id, mail, sort: sort ?? ('input' as const), envelope: mailed.envelopeProfile };
          await writeMailingSummary(out, run, mailed.envelopes);
          if (mailed.registered) await writeReceiptList(manifest, insurers, `${out}.receipts.pdf`);
        }
        if (!quiet) {
          const secs = (Date.now() - started) / 1000;
          const n = manifest.records.length;
          process.stderr.write(
            `wrote ${out}: ${n} records, ${manifest.pageCount} pages (${layout.id}, ${format}) in ${secs.toFixed(1)} s, ${(n / secs).toFixed(1)} records/s\n`,
          );
        }
        return EXIT.ok;
      } finally {
        await engine.close();
      }
    } catch (err) {
      // Numbers on no printed piece go back to the band; once the PDF is written they are its pieces'.
      if (!written) await taken?.release();
      throw err;
    }
  } finally {
    progress.end();
  }
}

/**
 * Takes a registered run's お問い合わせ番号 from the CLI's number store (SHIKAKU_DATA_DIR, default data/):
 * none when every envelope keeps its own (a reprint).
 */
async function takeNumbers(
  kind: RegisteredKind,
  band: InquiryBand | undefined,
  count: number,
  run: string,
): Promise<TakenNumbers | undefined> {
  if (count === 0) return undefined;
  if (!band)
    throw new UsageError(
      `--registered ${kind}: ${count} envelope${count === 1 ? '' : 's'} need an お問い合わせ番号: give the band the post office handed out with --numbers FIRST[-LAST]`,
    );
  return new NumberStore(dataDir()).take(kind, band, count, run);
}

/** A value's own error as a usage error of its option (exit 2). */
function usageOf<T>(read: () => T, option: string): T {
  try {
    return read();
  } catch (err) {
    throw new UsageError(`${option}: ${(err as Error).message}`);
  }
}

/** The PNG pages' progress as two stages: drawing them (pdftoppm), then finishing them (profile, density). */
function pngProgress(progress: Progress): NonNullable<RasterizeOptions['onProgress']> {
  let step: string | undefined;
  let stage: Stage | undefined;
  return ({ step: now, pagesDone, pagesTotal }) => {
    if (now !== step) {
      step = now;
      stage = progress.stage(now === 'draw' ? 'drawing PNG' : 'finishing PNG', pagesTotal, { unit: 'pages' });
    }
    stage?.update(pagesDone);
  };
}
