import { PrintError, throwIfCancelled, type RecordProblem } from './errors.ts';
import { forEachLimited } from './concurrency.ts';
import type { BrowserSupervisor } from './browser/supervisor.ts';
import type { FieldFit } from './browser/fit-fields.ts';
import type { PrintValues } from './format/print-values.ts';
import type { OutputTarget } from './output/target.ts';
import type { StepTimes } from './step-times.ts';
import type { StaticLayers } from './browser/static-layers.ts';
import { composeLayers } from './pdf/compose-layers.ts';
import type { ChunkPdf } from './pdf/pdf-writer.ts';
import { buildDocument, type CompiledLayout } from './template/document.ts';
import { overflowProblem } from './validate/validate.ts';
import type { RenderOptions } from './render-options.ts';

/** What printing chunks needs of the engine: its browser, fonts, step times and tuning. */
export interface ChunkPrinter {
  browser: BrowserSupervisor;
  fontFaces: string;
  stepTimes: StepTimes;
  chunkSize: number;
  tabs: number;
  /** The static layers printed so far (print once: engine/browser/layers.ts). */
  statics: StaticLayers;
}

/** A run's records checked: how many, and how to turn record `i` into what the templates print, and its key. */
export interface Prepared {
  count: number;
  values: (i: number) => PrintValues;
  key: (i: number) => string;
}

/** One render's state while its chunks print. */
export interface ChunkRun {
  compiled: CompiledLayout;
  prepared: Prepared;
  raws: readonly unknown[];
  options: RenderOptions;
  fitting: FieldFit[];
  fieldBoxes: Set<string>;
}

/**
 * Prints a run's records chunk by chunk in parallel tabs and adds the chunks to the output target in
 * order as they finish. Throws INVALID_INPUT listing every box that does not fit, before anything is
 * finished.
 */
export async function printChunks(target: OutputTarget, run: ChunkRun, printer: ChunkPrinter, wantBoxes: boolean): Promise<void> {
  const { options, prepared } = run;
  const { signal } = options;
  const total = prepared.count;
  // Records are printed in the order the output needs them (imposition in cut-stack order reorders them).
  const order = target.printOrder(total);
  const chunks: number[][] = [];
  for (let i = 0; i < order.length; i += printer.chunkSize) chunks.push(order.slice(i, i + printer.chunkSize));
  const problems: RecordProblem[] = [];
  // Printed chunks waiting for their turn to be written, with which printed page each output page is
  // (equal pages are printed once: document.ts).
  const ready = new Map<number, { pdf: ChunkPdf; pages: number[] }>();
  let nextToWrite = 0;
  let writing = Promise.resolve();
  let done = 0;
  await forEachLimited(chunks, printer.tabs, async (chunk, i) => {
    throwIfCancelled(signal);
    const t1 = performance.now();
    const doc = buildDocument(run.compiled, chunk.map(prepared.values), printer.fontFaces);
    printer.stepTimes.add('build HTML', performance.now() - t1);
    const printed = await printer.browser.print(
      { head: doc.head, body: doc.body, pages: doc.printedPages },
      {
        checkOnly: problems.length > 0,
        signal,
        lane: options.lane,
        report: options.fitting,
        draft: options.draft,
        fieldBoxes: wantBoxes,
        layers: options.wholePages ? undefined : printer.statics,
        staticMarkup: options.staticMarkup !== undefined,
        chromiumText: options.chromiumText,
      },
    );
    if (printed.layers?.markup) {
      const markup = printed.layers.markup;
      options.staticMarkup?.(
        i,
        doc.pages.map((p) => markup[p] as string),
      );
    }
    let pdf: ChunkPdf = printed.pdf;
    if (printed.layers) {
      const { names, statics } = printed.layers;
      pdf = await printer.stepTimes.time('compose layers', () =>
        composeLayers(
          printed.pdf,
          names,
          (name) => {
            const at = statics.get(name);
            if (!at) throw new PrintError('RENDER', `static layer ${name} was not printed`);
            return at;
          },
          printed.pageRange,
        ),
      );
    }
    for (const b of printed.fieldBoxes ?? []) run.fieldBoxes.add(b);
    if (!options.draft) problems.push(...printed.overflowing.map((o) => overflowProblem(o.record, o.field, run.raws)));
    if (printed.fitting) run.fitting.push(...printed.fitting);
    ready.set(i, { pdf, pages: doc.pages });
    // Write finished chunks in input order; a chunk that finishes early waits for its predecessors.
    for (let c = ready.get(nextToWrite); c; c = ready.get(nextToWrite)) {
      ready.delete(nextToWrite);
      const records = chunks[nextToWrite] ?? [];
      nextToWrite++;
      if (problems.length === 0)
        writing = writing.then(() => printer.stepTimes.time('merge and write', () => target.add(c.pdf, records, c.pages)));
    }
    await writing;
    done += chunk.length;
    options.onProgress?.({ recordsDone: done, recordsTotal: total });
  });
  await writing;
  throwIfCancelled(signal);
  if (problems.length) {
    problems.sort((a, b) => a.record - b.record);
    throw new PrintError('INVALID_INPUT', `${problems.length} field(s) do not fit their boxes; nothing was printed`, { problems });
  }
}
