import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PrintError } from '../errors.ts';
import type { RenderResult } from '../render.ts';

/** The file name of one page's PNG: record number from 0001, page from 1 (interfaces.md). */
export function pngName(record: number, page: number): string {
  return `${String(record).padStart(4, '0')}-${page}.png`;
}

const PNG_NAME = /^\d{4,}-\d+\.png$/;

/** `PATH.manifest.json`: for every input record, where its pages are. */
export interface Manifest {
  layout: string;
  format: 'pdf' | 'png';
  output: string;
  pageCount: number;
  dpi?: number;
  records: { record: number; pages: [number, number]; files?: string[] }[];
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function manifestOf(result: RenderResult, format: 'pdf' | 'png', output: string, dpi?: number): Manifest {
  return {
    layout: result.layout,
    format,
    output: basename(output),
    pageCount: result.pageCount,
    ...(dpi === undefined ? {} : { dpi }),
    records: result.records.map((r) => {
      const pages: [number, number] = [r.firstPage, r.lastPage];
      if (format === 'pdf') return { record: r.record, pages };
      const files = Array.from({ length: r.lastPage - r.firstPage + 1 }, (_, i) => pngName(r.record, i + 1));
      return { record: r.record, pages, files };
    }),
  };
}

/** Writes the PDF and then its manifest, each by rename, so a reader never sees a half-written file. */
export function writePdfOutput(result: RenderResult, out: string): Manifest {
  const manifest = manifestOf(result, 'pdf', out);
  writeAtomically(out, result.pdf);
  writeAtomically(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Writes one PNG per page into the folder `out` (built aside and renamed into place) and the manifest
 * beside it. An existing `out` is replaced only when it holds nothing but page PNGs of an earlier run.
 */
export function writePngOutput(result: RenderResult, pngs: readonly Buffer[], out: string, dpi: number): Manifest {
  const manifest = manifestOf(result, 'png', out, dpi);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new PrintError('INVALID_INPUT', `--out ${out} is a file; PNG output needs a folder`);
    const foreign = readdirSync(out).filter((f) => !PNG_NAME.test(f));
    if (foreign.length) {
      throw new PrintError('INVALID_INPUT', `--out ${out} holds other files (${foreign.slice(0, 3).join(', ')}); give an empty or new folder`);
    }
  }
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const r of manifest.records) {
    r.files?.forEach((file, i) => {
      const png = pngs[r.pages[0] - 1 + i];
      if (!png) throw new PrintError('RENDER', `page ${r.pages[0] + i} has no PNG`);
      writeFileSync(join(tmp, file), png);
    });
  }
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  writeAtomically(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
