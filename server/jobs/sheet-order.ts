import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { outputTarget, parseOutputOptions, type Layout } from '../../engine/index.ts';
import { fsyncDir, mkdirPrivate, writeDurable } from './durable-file.ts';
import { chunkName } from './job-folder.ts';
import type { ChunkInput, Job } from './job-model.ts';
import type { JobFiles } from './storage.ts';

/*
 * Cut-stack imposition prints a job's records in sheet order: its first sheet needs a record of every
 * chunk. The input chunks are rewritten in that order once, before any is printed, so that the sheets are
 * written as they fill instead of every chunk being held until the end.
 */

/** What a rewrite stopped part-way leaves in a job's folder: dropped with the other work files. */
export const SHEET_ORDER_LEFTOVERS = ['input.old', 'reorder.work', 'reorder.out'] as const;

/**
 * Puts a cut-stack imposed job's input in sheet order (JobFiles.reorderInput), once, before any chunk is
 * printed. Answers whether it did.
 */
export async function putInSheetOrder(store: JobFiles, job: Job, layout: Layout): Promise<boolean> {
  const output = parseOutputOptions(job.output ?? {});
  if (job.reordered || !output.impose || output.order !== 'cut-stack') return false;
  if (Array.from({ length: job.chunks }, (_, n) => store.chunkPrinted(job.id, n)).some(Boolean)) return false;
  const target = outputTarget(layout, () => undefined, output, job.id);
  await store.reorderInput(job, (n) => target.printOrder(n));
  return true;
}

/** How a job's folder is read and its job saved, for the rewrite. */
export interface SheetOrderFolder {
  /** The job's folder. */
  dir: string;
  chunkInput: (n: number) => ChunkInput;
  save: (job: Job) => Promise<void>;
}

/**
 * Rewrites a job's input chunks in the folder `f.dir` in the order `printOrder` gives (0-based ranks of its
 * valid records in input order), each new chunk as large as the old one in its place. The records are
 * streamed through one file per new chunk; the new chunks replace the old ones in one rename. A stop
 * part-way leaves the old chunks (put back by the next call), never a mix. The job is saved `reordered`.
 */
export async function rewriteInSheetOrder(f: SheetOrderFolder, job: Job, printOrder: (n: number) => number[]): Promise<void> {
  const [input, old, work, out] = ['input', ...SHEET_ORDER_LEFTOVERS].map((d) => join(f.dir, d)) as [string, string, string, string];
  if (!existsSync(input) && existsSync(old)) renameSync(old, input);
  for (const d of [old, work, out]) rmSync(d, { recursive: true, force: true });
  const perChunk = Array.from({ length: job.chunks }, (_, n) => f.chunkInput(n).map(([index]) => index));
  const indices = perChunk.flat();
  const sizes = perChunk.map((c) => c.length);
  const rankOf = new Map([...indices].sort((a, b) => a - b).map((index, rank) => [index, rank]));
  const slotOf = new Array<number>(indices.length);
  printOrder(indices.length).forEach((rank, q) => (slotOf[rank] = q));
  const chunkOf = (q: number) => {
    let n = 0;
    for (let left = q; left >= (sizes[n] ?? Infinity); n++) left -= sizes[n] as number;
    return n;
  };
  mkdirPrivate(work);
  for (let n = 0; n < job.chunks; n++) {
    for (const [index, raw] of f.chunkInput(n)) {
      const q = slotOf[rankOf.get(index) as number] as number;
      appendFileSync(join(work, `${chunkName(chunkOf(q))}.ndjson`), `${JSON.stringify([q, index, raw])}\n`, { mode: 0o600 });
    }
  }
  mkdirPrivate(out);
  for (let n = 0; n < job.chunks; n++) {
    const lines = readFileSync(join(work, `${chunkName(n)}.ndjson`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [number, number, unknown]);
    lines.sort((a, b) => a[0] - b[0]);
    await writeDurable(join(out, `${chunkName(n)}.json`), JSON.stringify(lines.map(([, index, raw]) => [index, raw])));
  }
  rmSync(work, { recursive: true, force: true });
  await rename(input, old);
  await rename(out, input);
  await fsyncDir(f.dir);
  job.reordered = true;
  await f.save(job);
  rmSync(old, { recursive: true, force: true });
}
