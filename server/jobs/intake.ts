import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import {
  checkInputRecord,
  describeOutput,
  planMailing,
  keptNumbers,
  senderSettings,
  NumberStore,
  type TakenNumbers,
  type PlannedEnvelope,
  runIdOf,
  type InsuranceRecord,
  readRecords,
  PrintError,
  type PrintErrorCode,
  type RecordProblem,
  type Insurers,
  type Layout,
  type OutputOptions,
  type RecordFormat,
} from '../../engine/index.ts';
import type { ServiceLimits } from '../config.ts';
import { bytesNeeded, isDiskFull, splitFiles, type DiskSpace } from './disk-space.ts';
import { writeDurable } from './durable-file.ts';
import { chunkInputPath, intakeRejectionsPath, receivedBodyPath } from './job-folder.ts';
import { JOB_CHUNK_RECORDS, rejectionOf, type ChunkInput, type Job, type JobMailing } from './job-model.ts';
import type { JobStore } from './job-store.ts';

/** A job body refused as a whole, and why: the HTTP edge answers it by its code (server/problem.ts). */
const refused = (code: PrintErrorCode, message: string, problems: readonly RecordProblem[] = [], problemCount = problems.length) =>
  new PrintError(code, message, { problems, problemCount });

/** A body that stopped arriving because the service is stopping: nothing of it was kept. */
const stopping = () => refused('UNAVAILABLE', 'the service is stopping: nothing of this job was kept; send it again shortly');

/** What a job is taken in for. */
export interface IntakeOptions {
  layout: Layout;
  /** Insurer profiles that complete the records (the engine prints with the same ones). */
  insurers: Insurers;
  /** Production output, checked already; kept with the job. */
  output: OutputOptions;
  format: RecordFormat;
  owner: string;
  limits: ServiceLimits;
  disk: DiskSpace;
  /** The body's announced length, when known: what a full disk was asked to hold. */
  bodyBytes?: number;
  /** Aborts the intake (the service is stopping): nothing is kept. */
  signal?: AbortSignal;
  /** The job's webhook, checked already. */
  callbackUrl?: string | undefined;
  /**
   * A mailing run: records are held until the body ends, grouped into envelopes (a record that cannot be
   * mailed is rejected like an invalid one), and chunked whole envelopes at a time, in envelope order.
   */
  mailing?: JobMailing | undefined;
}

/** What checking a body received whole adds to its intake (checkReceived). */
interface ReceivedCheck {
  /** The job answered 202 on receipt, `validating`: its id, its folder under incoming/, its dates. */
  received: Job;
  /** Records counted so far, every few hundred: the job's status shows them while it is checked. */
  counted: (c: Pick<Job, 'total' | 'rejected' | 'rejectionCount'>) => void;
}

/**
 * The records of a body; a body whose structure is broken as a whole (not JSON, an unclosed array or
 * quote, not text) is BAD_REQUEST (400), while a single broken record stays in its place, unreadable.
 */
export async function* bodyRecords(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, format: RecordFormat): AsyncGenerator<unknown> {
  try {
    yield* readRecords(body, format, 'the body');
  } catch (err) {
    if (err instanceof PrintError && err.code === 'INVALID_INPUT' && err.problems.length === 0) throw refused('BAD_REQUEST', err.message);
    throw err;
  }
}

/** The refusal of a job body past the size limit, whether its length was announced or counted. */
export function bodyTooLarge(limit: number): PrintError {
  return refused('TOO_LARGE', `the body exceeds the job limit of ${limit} bytes: split the records into several jobs`);
}

/**
 * Counts the body's bytes as they pass and stops it past the limit, however much more is sent; stops it
 * too when `signal` aborts (the service is stopping).
 */
async function* bounded(body: AsyncIterable<Uint8Array>, limit: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    if (signal?.aborted) throw stopping();
    bytes += chunk.length;
    if (bytes > limit) throw bodyTooLarge(limit);
    yield chunk;
  }
}

const YIELD_EVERY = 200;
const WRITES_IN_FLIGHT = 4;

/**
 * Takes a job body in as it arrives: records are read and validated one by one (yielding to the event
 * loop every few hundred, so probes and counter prints are answered meanwhile), the valid ones written to
 * disk a chunk at a time and every rejected one logged with its problems. Memory holds a few chunks (the one
 * being filled and those being flushed), whatever the body's size. The job exists (under jobs/) only once the whole body is taken in; any failure leaves
 * nothing behind. Throws a PrintError for a body refused as a whole (DISK_FULL when room runs out).
 */
export async function takeJob(body: AsyncIterable<Uint8Array>, store: JobStore, o: IntakeOptions, check?: ReceivedCheck): Promise<Job> {
  const { id, dir } = check ? { id: check.received.id, dir: dirname(store.receivedBodyPath(check.received.id)) } : begin(store, o);
  let log: FileHandle | undefined;
  /** The first problems found: the job's status lists them, a refusal answers them. */
  const firstProblems: RecordProblem[] = [];
  let chunk: ChunkInput = [];
  let chunks = 0;
  let total = 0;
  let rejected = 0;
  let rejectionCount = 0;
  // Chunk files are flushed to disk a few at a time while reading goes on; a failed write stops the intake.
  const writing = new Set<Promise<void>>();
  let writeFailure: { error: unknown } | undefined;
  const flush = async () => {
    const n = chunks++;
    const write = writeDurable(chunkInputPath(dir, n), JSON.stringify(chunk));
    chunk = [];
    const tracked: Promise<void> = write.then(
      () => void writing.delete(tracked),
      (error: unknown) => {
        writing.delete(tracked);
        writeFailure ??= { error };
      },
    );
    writing.add(tracked);
    if (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
    if (writeFailure) throw writeFailure.error;
  };
  // A mailing run's valid records, held until every household or employer is complete.
  const held: { index: number; raw: unknown; record: InsuranceRecord }[] = [];
  const reject = async (problems: readonly RecordProblem[]) => {
    rejected++;
    // Up to problemsPerRecord problems of a record are kept (and counted): the manifest lists them all.
    const kept = problems.slice(0, o.limits.problemsPerRecord);
    rejectionCount += kept.length;
    const lines = kept.map((p) => {
      if (firstProblems.length < o.limits.problems) firstProblems.push(p);
      return JSON.stringify(rejectionOf(p));
    });
    await log?.appendFile(`${lines.join('\n')}\n`);
  };
  // Whole envelopes a chunk, in envelope order: a chunk's mailing run prints its envelopes complete.
  const chunkEnvelopes = async (mailing: JobMailing) => {
    const plan = planMailing(
      held.map((h) => h.record),
      mailing.mail,
      mailing.sort,
      held.map((h) => h.raw),
      held.map((h) => h.index),
    );
    const byRecord = new Map<number, RecordProblem[]>();
    for (const p of plan.problems) byRecord.set(p.record, [...(byRecord.get(p.record) ?? []), p]);
    for (const problems of byRecord.values()) await reject(problems);
    if (mailing.registered) await numberEnvelopes(mailing.registered, plan.envelopes);
    // Each chunk's first envelope, numbered through the job: its matching codes and manifest use it.
    const firstEnvelopes: number[] = [];
    for (const [k, e] of plan.envelopes.entries()) {
      if (chunk.length === 0) firstEnvelopes.push(k + 1);
      for (const i of e.records) {
        const h = held[i] as (typeof held)[number];
        chunk.push([h.index, h.raw]);
      }
      if (chunk.length >= JOB_CHUNK_RECORDS) await flush();
    }
    mailing.firstEnvelopes = firstEnvelopes;
  };
  // Registered mail: the job's numbers, taken from the service's number store once its envelopes are known.
  let taken: TakenNumbers | undefined;
  const numberEnvelopes = async (registered: NonNullable<JobMailing['registered']>, envelopes: readonly PlannedEnvelope[]) => {
    let kept: (string | undefined)[];
    try {
      kept = keptNumbers(
        held.map((h) => h.record),
        envelopes,
        held.map((h) => h.raw),
        registered.kind,
        held.map((h) => h.index),
      );
    } catch (err) {
      if (err instanceof PrintError && err.code === 'INVALID_INPUT') throw refused('INVALID_INPUT', err.message, err.problems);
      throw err;
    }
    // The receipt list names its sender from the insurer profile: known before any number is taken.
    try {
      senderSettings(held[envelopes[0]?.records[0] ?? 0]?.record.insurerNumber ?? null, o.insurers);
    } catch (err) {
      if (err instanceof PrintError && err.code === 'INVALID_INPUT') throw refused('INVALID_INPUT', err.message);
      throw err;
    }
    const need = kept.filter((n) => n === undefined).length;
    if (need > 0 && !registered.band)
      throw refused(
        'INVALID_INPUT',
        `registered=${registered.kind}: ${need} envelope${need === 1 ? '' : 's'} need an お問い合わせ番号: give the band the post office handed out as numbers=FIRST-LAST`,
      );
    if (need > 0 && registered.band) {
      try {
        taken = await new NumberStore(store.dataDir).take(registered.kind, registered.band, need, `job ${id}`);
      } catch (err) {
        if (err instanceof PrintError && err.code === 'INVALID_INPUT') throw refused('INVALID_INPUT', err.message);
        throw err;
      }
    }
    const numbers = [...(taken?.numbers ?? [])];
    for (const [k, e] of envelopes.entries()) {
      const number = kept[k] ?? numbers.shift();
      for (const i of e.records) {
        const h = held[i] as (typeof held)[number];
        h.raw = { ...(h.raw as object), registeredNumber: number };
      }
    }
    const sender = held[envelopes[0]?.records[0] ?? 0]?.record.insurerNumber;
    if (sender !== undefined) registered.insurerNumber = sender;
  };
  try {
    log = await open(intakeRejectionsPath(dir), 'w', 0o600);
    for await (const raw of bodyRecords(bounded(body, o.limits.jobBodyBytes, o.signal), o.format)) {
      const index = total++;
      const { record, problems } = checkInputRecord(raw, index, o.layout, { insurers: o.insurers });
      if (record && o.mailing) {
        held.push({ index, raw, record });
      } else if (record) {
        chunk.push([index, raw]);
        if (chunk.length === JOB_CHUNK_RECORDS) await flush();
      } else {
        await reject(problems);
        if (rejected > o.limits.jobRejectedRecords) {
          const limit = o.limits.jobRejectedRecords;
          throw refused(
            'INVALID_INPUT',
            `more than ${limit} of the first ${total} records are invalid: is this the right file for layout ${o.layout.id}? Nothing was kept`,
            firstProblems,
            rejectionCount,
          );
        }
      }
      if (total % YIELD_EVERY === 0) {
        check?.counted({ total, rejected, rejectionCount });
        await yieldToEvents();
      }
    }
    if (o.mailing) await chunkEnvelopes(o.mailing);
    if (chunk.length) await flush();
    await Promise.all(writing);
    if (writeFailure) throw writeFailure.error;
    if (total === 0) throw refused('INVALID_INPUT', 'the body holds no records');
    if (rejected === total)
      throw refused('INVALID_INPUT', `none of the ${total} records is valid; nothing was kept`, firstProblems, rejectionCount);
    await log.sync();
    await log.close();
    log = undefined;
    if (o.signal?.aborted) throw stopping();
    o.disk.require(bytesNeeded((total - rejected) * o.layout.sides.length, total, splitFiles(o.output.split, total - rejected)));
    const now = new Date().toISOString();
    const job: Job = {
      id,
      owner: o.owner,
      layout: o.layout.id,
      state: 'queued',
      createdAt: check?.received.createdAt ?? now,
      updatedAt: now,
      total,
      done: 0,
      chunks,
      rejected,
      rejectionCount,
      rejections: firstProblems.map((p) => rejectionOf(p)),
      output: describeOutput(o.output),
      ...(o.mailing ? { mailing: { ...o.mailing, run: runIdOf(id) } } : {}),
      ...(o.callbackUrl ? { callbackUrl: o.callbackUrl } : {}),
    };
    await store.commitIntake(job);
    return job;
  } catch (err) {
    await Promise.all(writing); // never settle into a folder that is being removed
    await log?.close().catch(() => undefined);
    // A body answered 202 stays, for its job to end failed (checkReceived); any other goes.
    if (!check) store.abortIntake(id);
    // Numbers of a job never kept go back to their band.
    await taken?.release();
    throw intakeError(err, o);
  }
}

/** A new intake's folder under incoming/; a full disk refuses the job (507). */
function begin(store: JobStore, o: IntakeOptions): { id: string; dir: string } {
  try {
    return store.beginIntake();
  } catch (err) {
    throw intakeError(err, o);
  }
}

/** What an intake that failed throws: a full disk as the 507 that names the room asked for, else `err`. */
function intakeError(err: unknown, o: IntakeOptions): unknown {
  return isDiskFull(err) ? o.disk.short(o.bodyBytes ?? 0) : err;
}

/**
 * Takes a large body in without reading its records: its bytes go to `body` in a new intake folder as they
 * arrive (bounded as takeJob bounds them), and the job exists at once, `validating`, for a 202 that does not
 * wait for the records to be checked (a 500 MiB body takes over a minute). checkReceived then checks it.
 */
export async function receiveJob(body: AsyncIterable<Uint8Array>, store: JobStore, o: IntakeOptions): Promise<Job> {
  const { id } = await receiveBody(body, store, o);
  return saveValidating(id, store, o);
}

/**
 * Takes in a body sent without a Content-Length (chunked), whose size is known only at its end: it is
 * received whole first, as a large one is; then a body over `limits.receiptBodyBytes` is answered on
 * receipt (`validating`, checked afterwards by checkReceived), and one at or under it is checked before
 * the answer, as an announced small one is (a refusal at once, nothing kept).
 */
export async function takeUnannouncedJob(body: AsyncIterable<Uint8Array>, store: JobStore, o: IntakeOptions): Promise<Job> {
  const { id, bytes } = await receiveBody(body, store, o);
  if (bytes > o.limits.receiptBodyBytes) return saveValidating(id, store, o);
  // Checked from the file in its own folder (never seen as `validating`: the job is not saved before).
  const file = createReadStream(store.receivedBodyPath(id), { highWaterMark: CHECK_READ_BYTES });
  try {
    return await takeJob(file, store, o, { received: validatingJob(id, o), counted: () => undefined });
  } catch (err) {
    file.destroy();
    store.abortIntake(id);
    throw err;
  }
}

/** Writes a body as it arrives into a new intake folder (`body`), synced; a failure leaves nothing. */
async function receiveBody(body: AsyncIterable<Uint8Array>, store: JobStore, o: IntakeOptions): Promise<{ id: string; bytes: number }> {
  const { id, dir } = begin(store, o);
  try {
    let bytes = 0;
    const file = await open(receivedBodyPath(dir), 'w', 0o600);
    try {
      for await (const piece of bounded(body, o.limits.jobBodyBytes, o.signal)) {
        await file.write(piece);
        bytes += piece.length;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (o.signal?.aborted) throw stopping();
    return { id, bytes };
  } catch (err) {
    store.abortIntake(id);
    throw intakeError(err, o);
  }
}

/** Saves a received body's job, `validating`: from now on it is seen, and answered 202. */
async function saveValidating(id: string, store: JobStore, o: IntakeOptions): Promise<Job> {
  const job = validatingJob(id, o);
  try {
    await store.saveReceived(job);
    return job;
  } catch (err) {
    store.abortIntake(id);
    throw intakeError(err, o);
  }
}

/** The job of a body received whole whose records are not checked yet. */
function validatingJob(id: string, o: IntakeOptions): Job {
  const now = new Date().toISOString();
  return {
    id,
    owner: o.owner,
    layout: o.layout.id,
    state: 'validating',
    createdAt: now,
    updatedAt: now,
    total: 0,
    done: 0,
    chunks: 0,
    rejected: 0,
    rejectionCount: 0,
    rejections: [],
    output: describeOutput(o.output),
    ...(o.mailing ? { mailing: o.mailing } : {}),
    ...(o.callbackUrl ? { callbackUrl: o.callbackUrl } : {}),
  };
}

/**
 * What a check reads of a received body at a time. Each read's records are parsed together and live until
 * their chunk is written: at 1 MiB (about 10,000 records a read) a 25 MiB body checked from disk took the
 * service 80 MB above its idle memory, at 64 KiB 33–40 MB (test/service-faults.test.ts, a huge job body).
 */
const CHECK_READ_BYTES = 64 * 1024;

/** Refusals whose message a client may read (the 422, 400, 413, 507 a small body gets at once). */
const TOLD: readonly PrintErrorCode[] = ['INVALID_INPUT', 'BAD_REQUEST', 'TOO_LARGE', 'REFUSED', 'DISK_FULL', 'UNKNOWN_LAYOUT'];

/** How a check after a 202 ended: the job queued, failed with what the refusal said, or gone (deleted, stopped). */
export type CheckOutcome = { job: Job; refused?: PrintError } | undefined;

/**
 * Checks a body received whole (receiveJob) as takeJob checks a streamed one, saving the records counted
 * about once a second so the job's status shows them. Valid: the job is committed `queued`, as any job
 * taken in (its caller queues it). Refused: the job ends `failed` with the refusal's message and the same
 * problems (`rejections`, `rejectionCount`) the 422 of a small body lists. Undefined when the job was
 * deleted meanwhile, or the service is stopping (the job is left `validating`: the next start, or another
 * instance of a cluster once its lease ends, fails it, saying so).
 */
export async function checkReceived(
  received: Job,
  store: JobStore,
  o: IntakeOptions & { ending?: (job: Job) => void },
): Promise<CheckOutcome> {
  let saved = Date.now();
  const counted: ReceivedCheck['counted'] = (c) => {
    Object.assign(received, c);
    if (Date.now() - saved < 1000) return;
    saved = Date.now();
    void store.saveReceived({ ...received }).catch(() => undefined);
  };
  const body = createReadStream(store.receivedBodyPath(received.id), { highWaterMark: CHECK_READ_BYTES });
  try {
    return { job: await takeJob(body, store, o, { received, counted }) };
  } catch (err) {
    body.destroy();
    if (store.intakeGone(received.id) || o.signal?.aborted) return undefined;
    const refusal = err instanceof PrintError && TOLD.includes(err.code) ? err : undefined;
    const failed: Job = {
      ...received,
      rejections: (refusal?.problems ?? []).map((p) => rejectionOf(p)),
      rejectionCount: refusal?.problemCount ?? 0,
    };
    o.ending?.(failed);
    await store.failIntake(failed, refusal?.message ?? 'the records could not be checked (the cause is in the service log)');
    return { job: failed, ...(refusal ? { refused: refusal } : {}) };
  }
}
