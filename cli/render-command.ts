import {
  Engine,
  getLayout,
  loadLayouts,
  loadEngineInsurers,
  readRecordsFile,
  validateRecords,
  writePdfOutput,
  writePngOutput,
  parseOutputOptions,
  outputPageSize,
  type RenderProgress,
  type PdfSink,
} from '../engine/index.ts';
import { requireOption, intOption, formatOption, pngOption } from './options.ts';
import { EXIT, UsageError } from './report.ts';
import { basename } from 'node:path';

const USAGE =
  'render --layout ID --data FILE --out PATH [--format pdf|png] [--dpi N] [--png proof|k] [--insurers DIR] [--bleed] [--impose a4|a3|sra3|WxH [--duplex long|short] [--order sequential|cut-stack]] [--color office|press [--icc FILE]] [--quiet]';

/** `render`: records file in, PDF (or a folder of PNGs) and its manifest out; nothing out when any record is bad. */
export async function renderCommand(values: Record<string, unknown>): Promise<number> {
  const layoutId = requireOption(values, 'layout', USAGE);
  const data = requireOption(values, 'data', USAGE);
  const out = requireOption(values, 'out', USAGE);
  const format = formatOption(values);
  const dpi = intOption(values, 'dpi', 50, 1200) ?? 300;
  const png = pngOption(values);
  const quiet = values.quiet === true;
  const output = parseOutputOptions({ ...values, bleed: values.bleed === true ? 'true' : undefined });
  const icc = typeof values.icc === 'string' ? values.icc : undefined;
  if (icc && output.color !== 'press') throw new UsageError('--icc is the press profile: give --color press too');
  if (format === 'png' && output.color === 'press')
    throw new UsageError('--color press makes a PDF for a press; PNG pages are proofs: leave --color out');

  // Everything that can be checked without a browser is checked first, so bad input fails in a moment.
  const layouts = loadLayouts();
  const layout = getLayout(layouts, layoutId);
  const insurers = await loadEngineInsurers(layouts, typeof values.insurers === 'string' ? values.insurers : undefined);
  const raws = await readRecordsFile(data);
  validateRecords(raws, layout, { insurers });

  const started = Date.now();
  const engine = await Engine.start({ insurers });
  try {
    const name = basename(out);
    const produce = (sink: PdfSink) =>
      engine.render(layoutId, raws, sink, { output, name, fieldMap: true, ...(quiet ? {} : { onProgress: progressPrinter() }) });
    const manifest =
      format === 'pdf'
        ? await writePdfOutput(out, produce, { color: output.color, icc })
        : await writePngOutput(out, dpi, outputPageSize(layout, output), produce, png);
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
}

/** Progress on stderr: a line at each tenth of a long run. */
function progressPrinter(): (p: RenderProgress) => void {
  let shown = 0;
  return ({ recordsDone, recordsTotal }) => {
    const tenth = Math.floor((recordsDone / recordsTotal) * 10);
    if (recordsTotal >= 500 && tenth > shown) {
      shown = tenth;
      process.stderr.write(`  ${recordsDone}/${recordsTotal} records rendered\n`);
    }
  };
}
