import { closeSync, existsSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync, mkdtempSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PrintError } from '../errors.ts';
import type { RenderSummary } from './summary.ts';
import type { PdfSink } from '../pdf/pdf-writer.ts';
import { rasterizePdfFile, type RasterizeOptions } from '../png/rasterize.ts';
import type { PngMode } from '../png/finish-png.ts';
import { manifestRecord, writeManifest, type Manifest, type ManifestRecord } from './manifest.ts';

/** The file name of one page's PNG: record number from 0001, page from 1 (docs/spec/interfaces.md). */
export function pngName(record: number, page: number): string {
  return `${String(record).padStart(4, '0')}-${page}.png`;
}

const PNG_NAME = /^\d{4,}-\d+\.png$/;

/** Produces a PDF into a sink: the engine's render, bound to its layout and records. */
export type PdfProducer = (sink: PdfSink) => Promise<RenderSummary>;

/** The CLI's manifest of a render, `PATH.manifest.json` beside `out`, written by the one manifest writer. */
function renderManifest(result: RenderSummary, format: 'pdf' | 'png', output: string, dpi?: number): Manifest {
  return {
    layout: result.layout,
    format,
    output: basename(output),
    pageCount: result.pageCount,
    ...(dpi === undefined ? {} : { dpi }),
    ...(result.fieldMap ? { fieldMap: result.fieldMap } : {}),
    records: result.records.map((r) =>
      manifestRecord(
        r,
        format === 'png' ? Array.from({ length: r.lastPage - r.firstPage + 1 }, (_, i) => pngName(r.record, i + 1)) : undefined,
      ),
    ),
    ...(result.envelopes ? { envelopes: result.envelopes } : {}),
    ...(result.registered ? { registered: result.registered } : {}),
  };
}

function saveManifest(out: string, manifest: Manifest): void {
  const path = `${out}.manifest.json`;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const { records, envelopes, registered, ...head } = manifest;
    writeManifest((text) => void writeSync(fd, text), {
      head,
      count: records.length,
      record: (i) => records[i] as ManifestRecord,
      ...(envelopes ? { tail: { envelopes, registered } } : {}),
    });
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Streams the PDF into a file at `path`; on failure the file is removed. */
async function produceToFile(path: string, produce: PdfProducer): Promise<RenderSummary> {
  const fd = openSync(path, 'w');
  try {
    const summary = await produce((bytes) => void writeSync(fd, bytes));
    closeSync(fd);
    return summary;
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
}

/**
 * Writes the PDF beside `out` and renames it into place, then the manifest: a reader never sees a
 * half-written file, and a failed render leaves nothing.
 */
export async function writePdfOutput(out: string, produce: PdfProducer): Promise<Manifest> {
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const summary = await produceToFile(tmp, produce);
  const manifest = renderManifest(summary, 'pdf', out);
  renameSync(tmp, out);
  saveManifest(out, manifest);
  return manifest;
}

/**
 * Writes one PNG per page into the folder `out` (built aside and renamed into place) and the manifest
 * beside it. An existing `out` is replaced only when it holds nothing but page PNGs of an earlier run.
 * `finish.onProgress` is told how far the PNG pages are once the PDF is made (rasterize.ts).
 */
export async function writePngOutput(
  out: string,
  dpi: number,
  page: { widthMm: number; heightMm: number },
  produce: PdfProducer,
  finish: { png?: PngMode | undefined; onProgress?: RasterizeOptions['onProgress'] } = {},
): Promise<Manifest> {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new PrintError('INVALID_INPUT', `--out ${out} is a file; PNG output needs a folder`);
    const foreign = readdirSync(out).filter((f) => !PNG_NAME.test(f));
    if (foreign.length)
      throw new PrintError(
        'INVALID_INPUT',
        `--out ${out} holds other files (${foreign.slice(0, 3).join(', ')}); give an empty or new folder`,
      );
  }
  const work = mkdtempSync(join(dirname(out), `.${basename(out)}.`));
  try {
    const pdf = join(work, 'document.pdf');
    const summary = await produceToFile(pdf, produce);
    const manifest = renderManifest(summary, 'png', out, dpi);
    const pngs = await rasterizePdfFile(pdf, summary.pageCount, page, dpi, work, finish);
    rmSync(pdf);
    for (const r of manifest.records) {
      r.files?.forEach((file, i) => renameSync(pngs[r.pages[0] - 1 + i] as string, join(work, file)));
    }
    rmSync(out, { recursive: true, force: true });
    renameSync(work, out);
    saveManifest(out, manifest);
    return manifest;
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
