import type { Layout } from '../layouts/layouts.ts';
import type { PdfSink } from '../pdf/pdf-writer.ts';
import { ImposedSheets } from './imposed-sheets.ts';
import { bleedMm } from './page-size.ts';
import { planSheet } from './sheet-plan.ts';
import { SplitFiles } from './split-files.ts';
import { TrimPages, type OutputOptions, type OutputTarget } from './target.ts';

/** What split output names its files by and dates them with (outputTarget). */
export interface SplitNaming {
  /** A record's key by its 0-based output position. */
  keyOf?: (position: number) => string | undefined;
  /** The files' date in the archive; now when left out. */
  modified?: Date;
}

/**
 * The output target a render writes through, chosen by the output options: trim pages (with or without
 * bleed), imposed sheets, or split files in a ZIP. `name` is what the slug of imposed sheets and the
 * subject of split files call the run.
 */
export function outputTarget(layout: Layout, sink: PdfSink, output: OutputOptions, name: string, naming: SplitNaming = {}): OutputTarget {
  const neutralGray = output.color === 'press';
  if (output.split !== undefined) {
    return new SplitFiles(sink, layout.page, layout.sides.length, {
      split: output.split,
      bleedMm: bleedMm(output),
      keyOf: naming.keyOf ?? (() => undefined),
      title: layout.name,
      subject: `${layout.id}: ${name}`,
      modified: naming.modified ?? new Date(),
    });
  }
  if (output.impose) {
    return new ImposedSheets(sink, planSheet(output.impose, layout.page), layout.sides.length, {
      duplex: output.duplex,
      order: output.order,
      name,
      neutralGray,
    });
  }
  return new TrimPages(sink, layout.page, layout.sides.length, { bleedMm: bleedMm(output), neutralGray });
}
