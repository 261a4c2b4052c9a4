import type { InquiryBand, RegisteredKind } from '../../engine/index.ts';
import type { EnvelopeOutput, FieldMapSide, RecordProblem } from '../../engine/index.ts';

/*
 * What a batch job is, as every part of the service sees it (the routes, the intake, the job logic, the
 * store): plain data, kept in job.json and in each chunk's meta. No file work here: storage.ts says where
 * it is kept, job-store.ts keeps it in a folder.
 */

/** A record a job did not print, and why. */
export interface Rejection {
  record: number;
  path: string;
  message: string;
}

/** A record's problem as a job keeps it, the field's label before the message; `record` its input number. */
export function rejectionOf(p: RecordProblem, record = p.record): Rejection {
  return { record, path: p.path, message: `${p.label}: ${p.message}` };
}

/**
 * The states of a job, in the order a job passes them. `validating`: a large body answered 202 on receipt
 * whose records are still being read and checked (intake.ts checkReceived); it then goes on as any other.
 */
export const JOB_STATES = ['validating', 'queued', 'running', 'done', 'failed'] as const;

/** The states of a job's webhook delivery. */
export const WEBHOOK_STATES = ['pending', 'delivered', 'given up'] as const;

/** A batch job as stored in `<data>/jobs/<id>/job.json`: small, whatever the job's size. */
export interface Job {
  id: string;
  /** The name of the API key that made the job; only it sees the job. */
  owner: string;
  layout: string;
  state: (typeof JOB_STATES)[number];
  createdAt: string;
  updatedAt: string;
  /** Input records. */
  total: number;
  /** Records printed so far. */
  done: number;
  /** Chunks of valid records to print (`input/<n>.json`). */
  chunks: number;
  /** Records rejected so far, and the problems found in them. */
  rejected: number;
  rejectionCount: number;
  /** The first problems (a bounded list: all of them are in the manifest). */
  rejections: Rejection[];
  /** Why it failed, as its client reads it (lifecycle.ts failureText): never a stack or a record's value. */
  error?: string;
  /** A failure that passes by itself (a full disk): the job resumes when it has. */
  retryable?: boolean;
  /** A mailing run (mail=, sort=, envelope=): chunks hold whole envelopes in envelope order. */
  mailing?: JobMailing;
  /** Production output (bleed, impose, duplex, order, color) as the request named it; trim pages when absent. */
  output?: Record<string, string | boolean>;
  /** Its input chunks were rewritten in print order (cut-stack imposition): sheet-order.ts. */
  reordered?: boolean;
  /** Where the webhook goes when the job ends (checked against the allow-list when it was posted). */
  callbackUrl?: string;
  /** Its webhook's delivery, once the job has ended: kept here, so retries survive a restart. */
  webhook?: WebhookDelivery;
}

/** A job failed for now (a full disk): it resumes by itself once there is room. */
export function failedForNow(job: Job): boolean {
  return job.state === 'failed' && job.retryable === true;
}

/** A job that will not run again: done, or failed for good. */
export function endedForGood(job: Job): boolean {
  return job.state === 'done' || (job.state === 'failed' && !failedForNow(job));
}

/** Where a job's webhook stands. */
export interface WebhookDelivery {
  /** `X-Shikaku-Delivery`: the same on every attempt, so a receiver can drop a repeat. */
  delivery: string;
  state: (typeof WEBHOOK_STATES)[number];
  attempts: number;
  /** When the next attempt is due (ISO time), while pending. */
  nextAt?: string;
  /** What the last failed attempt met (a status, a network error code), never a record's value. */
  lastOutcome?: string;
}

/** What a printed chunk holds: the 0-based input positions printed, and the records its print rejected. */
/** How a mailing job groups and orders its records (docs/spec/interfaces.md, Mailing). */
export interface JobMailing {
  mail: 'household' | 'person' | 'employer';
  sort: 'postal' | 'input';
  envelope?: string;
  /** The run id of the job's matching codes (runIdOf its id). */
  run?: string;
  /** The number of each chunk's first envelope, through the job (intake.ts). */
  firstEnvelopes?: number[];
  /**
   * Registered mail (registered=, numbers=): its kind and band; intake takes the numbers and writes each
   * into its envelope's records (registeredNumber), so chunks print them; the sender's 保険者番号.
   */
  registered?: { kind: RegisteredKind; band?: InquiryBand; insurerNumber?: string };
}

export interface ChunkMeta {
  /** A mailing job's chunk: its envelopes, records as job record numbers, pages within the chunk's PDF. */
  envelopes?: EnvelopeOutput[];
  /** A mailing job's chunk: the envelope profile its 宛名 blocks were placed for. */
  envelopeProfile?: string;
  /** A mailing job's chunk: each printed record's pages within the chunk's PDF, as `printed`. */
  pages?: [number, number][];
  printed: number[];
  /** The key of each printed record (record-key.ts), as `printed`; absent in chunks of an older version. */
  keys?: string[];
  rejections: Rejection[];
  /** Where the chunk's fixed boxes were (trim pages, no bleed); absent in chunks of an older version. */
  fieldMap?: FieldMapSide[];
  /** The chunk's PDF in chunks/ (JobStore.writeChunk); `<n>.pdf` in chunks of an older version. */
  pdf?: string;
}

/** One valid record of a chunk's input: its 0-based input position and the record as received. */
export type ChunkInput = [index: number, raw: unknown][];

/** Records per chunk of a job: one engine document, kept on disk once printed. */
export const JOB_CHUNK_RECORDS = 100;

/** The owner of jobs made before jobs had owners: every key sees them, as every key did then. */
export const ANY_OWNER = '*';
