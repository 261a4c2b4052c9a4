import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Layout } from '../layouts/layouts.ts';
import type { DocumentInfo, PdfSink } from '../pdf/pdf-writer.ts';
import { outputTarget, type SplitNaming } from './output-target.ts';
import { toPress } from './press-colour.ts';
import { documentDate, writePdfVt } from '../pdf/pdfvt.ts';
import { documentParts, OFFICE_INTENT } from './document-parts.ts';
import type { OutputOptions, OutputTarget, TargetSummary } from './target.ts';
import type { StepTimes } from '../step-times.ts';

/** What one pass through the output stage needs besides the layout and the options. */
export interface OutputStageOptions {
  /** What the slug of imposed sheets and the subject of split files call the run. */
  name: string;
  naming?: SplitNaming;
  /** The document information the target writes. */
  info: DocumentInfo;
  /** The press's CMYK ICC profile (color press); Ghostscript's CMYK profile when left out. */
  icc?: string | undefined;
  /** The press file's title (its information and OutputIntent); `name` when left out. */
  pressTitle?: string | undefined;
  /** Where the finishing times go ('merge and write', 'press colour'): the engine's, for bench --profile. */
  stepTimes?: StepTimes | undefined;
  /** The date a PDF/VT file states (a job's creation time); see documentDate in engine/pdf/pdfvt-metadata.ts. */
  date?: Date | undefined;
}

/** Pieces in which a finished file is handed on to the sink. */
const PIECE = 1 << 20;

/**
 * The output stage of one run, the one place that turns printed chunks into what the caller asked for:
 * `fill` adds the chunks to the target chosen by `output`, then the target is finished and the finishing
 * steps the options name are applied (today: press colour, `color: press`). The sink gets the finished
 * bytes; callers never choose or call a finishing step themselves. A run that throws leaves nothing of its
 * own behind (the sink may hold part of a file, which the caller discards).
 */
export async function writeOutput(
  sink: PdfSink,
  layout: Layout,
  output: OutputOptions,
  options: OutputStageOptions,
  fill: (target: OutputTarget) => Promise<void>,
): Promise<TargetSummary> {
  if (output.color !== 'press' && !output.pdfvt) return targetPass(sink, layout, output, options, fill);
  // Ghostscript reads a whole file and writes another, and PDF/VT is added to a whole file: the target's
  // file is made aside, pressed, and streamed on (through the PDF/VT pass), so memory stays that of a
  // chunk whatever the run's length.
  const work = mkdtempSync(join(tmpdir(), 'shikaku-output-'));
  try {
    const made = join(work, 'made.pdf');
    const pressed = join(work, 'pressed.pdf');
    const fd = openSync(made, 'w');
    let summary: TargetSummary;
    try {
      summary = await targetPass((bytes) => void writeSync(fd, bytes), layout, output, options, fill);
    } finally {
      closeSync(fd);
    }
    const isPress = output.color === 'press';
    if (isPress) {
      const press = () => toPress(made, pressed, { icc: options.icc, title: options.pressTitle ?? options.name });
      await (options.stepTimes ? options.stepTimes.time('press colour', press) : press());
    }
    const source = isPress ? pressed : made;
    if (!output.pdfvt) {
      streamFile(source, sink);
      return summary;
    }
    const vt = () => {
      const { parts, level } = documentParts(
        summary,
        layout.sides.length,
        output.impose !== undefined,
        options.naming?.keyOf ?? (() => undefined),
      );
      writePdfVt(source, sink, {
        parts,
        level,
        metadata: {
          title: isPress ? (options.pressTitle ?? options.name) : options.info.title,
          subject: options.info.subject,
          producer: isPress ? 'shikaku-print (Chromium, pdf-lib, Ghostscript)' : 'shikaku-print (Chromium, pdf-lib)',
          date: documentDate(output.documentDate ?? options.date),
        },
        outputIntent: isPress ? undefined : OFFICE_INTENT,
      });
      return Promise.resolve();
    };
    await (options.stepTimes ? options.stepTimes.time('pdf/vt', vt) : vt());
    return summary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function targetPass(
  sink: PdfSink,
  layout: Layout,
  output: OutputOptions,
  options: OutputStageOptions,
  fill: (target: OutputTarget) => Promise<void>,
): Promise<TargetSummary> {
  const target = outputTarget(layout, sink, output, options.name, options.naming);
  await fill(target);
  const finish = () => target.finish(options.info);
  return options.stepTimes ? options.stepTimes.time('merge and write', finish) : finish();
}

function streamFile(path: string, sink: PdfSink): void {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const piece = Buffer.allocUnsafe(PIECE);
      const n = readSync(fd, piece, 0, PIECE, null);
      if (n === 0) break;
      sink(piece.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
