import type { ChunkInput, ChunkMeta, Job, Rejection } from './job-model.ts';

/** Hands the pieces of a file being made to storage, as they come. */
export type Produce = (write: (data: string | Uint8Array) => void) => Promise<void> | void;

/**
 * Where a job's files are, as the job logic sees them (lifecycle.ts and chunk-work.ts, run by the embedded
 * runner and by the workers of a cluster): its record, its input chunks, its printed chunks, its result and
 * its manifest, by job and chunk, never by path. JobStore keeps them in a folder, local or on NFS for a
 * cluster; an object store implements this interface, and the job logic does not change. Every write is
 * whole or not at all.
 */
export interface JobFiles {
  /** The job, or undefined when it is not there or cannot be read now. */
  get(id: string): Job | undefined;
  /** Whether anything of the job is there (a job.json unreadable for a moment is not a deleted job). */
  hasFolder(id: string): boolean;
  save(job: Job): Promise<void>;
  chunkInput(id: string, n: number): ChunkInput;
  chunkPrinted(id: string, n: number): boolean;
  /** Commits a printed chunk: its PDF, then the meta naming it (a chunk printed twice never mixes). */
  writeChunk(id: string, n: number, pdf: Uint8Array, meta: ChunkMeta): Promise<void>;
  chunkMeta(id: string, n: number): ChunkMeta;
  /** The PDF `meta` (chunk n's, as read) names. */
  chunkPdf(id: string, n: number, meta: ChunkMeta): Buffer;
  intakeRejections(id: string): Rejection[];
  /** Rewrites the input chunks in the order `printOrder` gives, and saves the job `reordered` (sheet-order.ts). */
  reorderInput(job: Job, printOrder: (n: number) => number[]): Promise<void>;
  /** Writes the job's result (result.pdf, or result.zip of split files) piece by piece. */
  writeResult(job: Job, produce: Produce): Promise<void>;
  writeManifest(id: string, produce: Produce): Promise<void>;
  /** A mailing job's summary: mailing.json (counts only) and mailing.pdf, for the 差出票. */
  writeMailing(id: string, json: string, pdf: Uint8Array): Promise<void>;
  /** A registered mailing job's receipt list: receipts.pdf and receipts.csv (names and addresses, as the result holds). */
  writeReceipts(id: string, pdf: Uint8Array, csv: string): Promise<void>;
  /** Drops what only printing needed (records, chunks, problems: personal data), once the result is whole. */
  dropWorkFiles(id: string): void;
}
