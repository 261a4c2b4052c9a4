import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FieldMapSide, RecordProblem } from '../../engine/index.ts';
import { fsyncDir, isTempFile, mkdirPrivate, writeDurable, writeDurableBy, writeDurableWith } from './durable-file.ts';
import type { JobFiles, Produce } from './storage.ts';

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

/** The states of a job, in the order a job passes them. */
export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;

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
  error?: string;
  /** A failure that passes by itself (a full disk): the job resumes when it has. */
  retryable?: boolean;
  /** Production output (bleed, impose, duplex, order, color) as the request named it; trim pages when absent. */
  output?: Record<string, string | boolean>;
  /** Its input chunks were rewritten in print order (cut-stack imposition): JobStore.reorderInput. */
  reordered?: boolean;
  /** Where the webhook goes when the job ends (checked against the allow-list when it was posted). */
  callbackUrl?: string;
  /** Its webhook's delivery, once the job has ended: kept here, so retries survive a restart. */
  webhook?: WebhookDelivery;
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
export interface ChunkMeta {
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

const ID = /^[0-9a-f]{24}$/;

/** The owner of jobs made before jobs had owners: every key sees them, as every key did then. */
export const ANY_OWNER = '*';

/**
 * Brings a job written by the first version (job.json with a `plan` of record positions per chunk and the
 * input as records.json) into this format, so an upgrade loses no job in progress: each chunk's records go
 * to input/, a chunk already printed gets its meta, the problems go to rejections.ndjson, and records.json
 * is removed. Answers whether the folder held such a job.
 */
async function migrateFirstVersionJob(dir: string, id: string): Promise<boolean> {
  let old: { id?: string; plan?: number[][]; rejections?: Rejection[]; done?: number; state?: Job['state'] } & Partial<Job>;
  try {
    old = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as typeof old;
  } catch {
    return false;
  }
  if (old.id !== id || !Array.isArray(old.plan) || typeof old.layout !== 'string') return false;
  const rejections = old.rejections ?? [];
  if (old.state !== 'done') {
    const records = JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as unknown[];
    mkdirPrivate(join(dir, 'input'));
    mkdirPrivate(join(dir, 'chunks'));
    for (const [n, indices] of old.plan.entries()) {
      await writeDurable(chunkInputPath(dir, n), JSON.stringify(indices.map((i) => [i, records[i]])));
      if (existsSync(join(dir, 'chunks', `${pad(n)}.pdf`)))
        await writeDurable(join(dir, 'chunks', `${pad(n)}.json`), JSON.stringify({ printed: indices, rejections: [] }));
    }
    await writeDurable(intakeRejectionsPath(dir), rejections.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  const job: Job = {
    id,
    owner: ANY_OWNER,
    layout: old.layout,
    state: old.state ?? 'queued',
    createdAt: old.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    total: old.total ?? 0,
    done: old.done ?? 0,
    chunks: old.plan.length,
    rejected: new Set(rejections.map((r) => r.record)).size,
    rejectionCount: rejections.length,
    rejections: rejections.slice(0, 100),
    ...(old.error ? { error: old.error } : {}),
  };
  await writeDurable(join(dir, 'job.json'), JSON.stringify(job));
  rmSync(join(dir, 'records.json'), { force: true });
  return true;
}

/** Records per chunk of a job: one engine document, kept on disk once printed. */
export const JOB_CHUNK_RECORDS = 100;

const pad = (n: number) => String(n).padStart(6, '0');

/** Where the problems of the records rejected at intake are kept in a job's folder `dir`, one JSON line each. */
export function intakeRejectionsPath(dir: string): string {
  return join(dir, 'rejections.ndjson');
}

/** Where chunk `n`'s valid records are kept in a job's folder `dir` (the intake writes them, printing reads them). */
export function chunkInputPath(dir: string, n: number): string {
  return join(dir, 'input', `${pad(n)}.json`);
}

/**
 * Jobs on disk. `<data>/jobs/<id>/` holds job.json, input/<n>.json (each chunk's valid records),
 * rejections.ndjson (records rejected when taken in), chunks/<n>.pdf and <n>.json as they are printed,
 * then result.pdf and manifest.json; the input and chunks are deleted once the result is written. A job
 * being taken in lives in `<data>/incoming/<id>/` and appears under jobs/ by one rename when whole.
 * Every file is written durably (temp, fsync, rename, fsync the folder); folders are 0700, files 0600.
 * The job logic sees it as JobFiles (storage.ts): an object store can take its place there.
 */
export class JobStore implements JobFiles {
  readonly root: string;
  private readonly incoming: string;
  private readonly quarantine: string;
  /**
   * Jobs as last saved by this process: the truth even when a full disk refused to store them. None when
   * the folder is shared by several processes (scale-out): then job.json alone is the truth.
   */
  private readonly cache: Map<string, Job> | undefined;
  /** Jobs deleted by this process: a late save (a webhook attempt in flight) never brings one back. */
  private readonly deleted = new Set<string>();
  private readonly saving = new Map<string, Promise<void>>();

  constructor(
    readonly dataDir: string,
    o: { shared?: boolean } = {},
  ) {
    this.cache = o.shared ? undefined : new Map();
    this.root = join(dataDir, 'jobs');
    this.incoming = join(dataDir, 'incoming');
    this.quarantine = join(dataDir, 'quarantine');
    for (const d of [dataDir, this.root, this.incoming]) {
      mkdirPrivate(d);
      chmodSync(d, 0o700);
    }
  }

  /**
   * Start-up repair after a crash: drops jobs that were being taken in (never answered 202) and temp
   * files, drops the work files a done job still has, brings jobs of the first version's format into this
   * one, and moves a job whose job.json is unreadable to `<data>/quarantine/` so the rest can run.
   */
  async recover(): Promise<{ quarantined: string[]; tempFiles: number; incomplete: number; migrated: number }> {
    let tempFiles = 0;
    let migrated = 0;
    const incomplete = readdirSync(this.incoming).length;
    rmSync(this.incoming, { recursive: true, force: true });
    mkdirPrivate(this.incoming);
    const quarantined: string[] = [];
    for (const id of readdirSync(this.root)) {
      const dir = join(this.root, id);
      for (const sub of [dir, join(dir, 'chunks'), join(dir, 'input')]) {
        if (!existsSync(sub)) continue;
        for (const f of readdirSync(sub).filter(isTempFile)) {
          rmSync(join(sub, f), { force: true });
          tempFiles++;
        }
      }
      if (ID.test(id) && this.read(id) === undefined && (await migrateFirstVersionJob(dir, id))) migrated++;
      const job = ID.test(id) ? this.read(id) : undefined;
      if (!job) {
        mkdirPrivate(this.quarantine);
        renameSync(dir, join(this.quarantine, `${id}-${Date.now()}`));
        quarantined.push(id);
      } else if (job.state === 'done') {
        this.dropWorkFiles(id);
      }
    }
    return { quarantined, tempFiles, incomplete, migrated };
  }

  /** A new job's folder under incoming/, for the intake to fill. */
  beginIntake(): { id: string; dir: string } {
    const id = randomBytes(12).toString('hex');
    const dir = join(this.incoming, id);
    try {
      mkdirPrivate(join(dir, 'input'));
      mkdirPrivate(join(dir, 'chunks'));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { id, dir };
  }

  /** Writes the job and moves its folder from incoming/ into jobs/: from here on it exists. */
  async commitIntake(job: Job): Promise<void> {
    const dir = join(this.incoming, job.id);
    job.updatedAt = new Date().toISOString();
    await writeDurable(join(dir, 'job.json'), JSON.stringify(job));
    await rename(dir, this.dir(job.id));
    await fsyncDir(this.root);
    await fsyncDir(this.incoming);
    this.cache?.set(job.id, job);
  }

  /**
   * Drops what intakes left in incoming/ longer ago than `olderThanMs`: the bodies of services that died
   * taking them in. Where several services share the folder, the one sweep that is safe (a recover()
   * would drop the bodies the others are taking in now).
   */
  sweepIncoming(olderThanMs: number): number {
    let dropped = 0;
    for (const id of readdirSync(this.incoming)) {
      const dir = join(this.incoming, id);
      try {
        // A body being taken in adds a file to input/ every 100 records: that folder's time says it is alive.
        const touched = Math.max(...[dir, join(dir, 'input')].map((d) => (existsSync(d) ? statSync(d).mtimeMs : 0)));
        if (Date.now() - touched < olderThanMs) continue;
      } catch {
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      dropped++;
    }
    return dropped;
  }

  /** Drops a job that was being taken in. */
  abortIntake(id: string): void {
    rmSync(join(this.incoming, id), { recursive: true, force: true });
  }

  /** The job with `id`, or undefined. */
  get(id: string): Job | undefined {
    if (!ID.test(id)) return undefined;
    return this.cache?.get(id) ?? this.read(id);
  }

  /** Jobs to run at start, oldest first: queued, running, and those failed for a passing cause. */
  resumable(): Job[] {
    return this.all()
      .filter((j) => j.state === 'queued' || j.state === 'running' || (j.state === 'failed' && j.retryable === true))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Saves the job; kept in memory first, so a full disk that refuses the write loses nothing said. */
  async save(job: Job): Promise<void> {
    if (this.deleted.has(job.id)) return;
    job.updatedAt = new Date().toISOString();
    this.cache?.set(job.id, job);
    // One write of a job.json at a time, in order: chunks printing in parallel save the same job.
    const previous = this.saving.get(job.id) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => writeDurable(join(this.dir(job.id), 'job.json'), JSON.stringify(job)));
    this.saving.set(job.id, write);
    try {
      await write;
      // Stored: a finished job need not be held in memory any more (a full disk that refused it keeps it).
      if (job.state === 'done' || job.state === 'failed') this.cache?.delete(job.id);
    } finally {
      if (this.saving.get(job.id) === write) this.saving.delete(job.id);
    }
  }

  /** Ended jobs whose webhook is still to be delivered: their retries go on after a restart. */
  pendingWebhooks(): Job[] {
    return this.all().filter((j) => j.webhook?.state === 'pending');
  }

  /** Every job of `owner` (and those made before jobs had owners), newest first. */
  list(owner: string): Job[] {
    return this.all()
      .filter((j) => j.owner === owner || j.owner === ANY_OWNER)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** Finished jobs (done, or failed for good) last changed before `before`: retention deletes them. */
  finishedBefore(before: Date): Job[] {
    const cutoff = before.toISOString();
    return this.all().filter((j) => (j.state === 'done' || (j.state === 'failed' && j.retryable !== true)) && j.updatedAt < cutoff);
  }

  /** Every job there is (a folder without a whole job.json is none). */
  private all(): Job[] {
    return readdirSync(this.root)
      .map((id) => this.get(id))
      .filter((j): j is Job => j !== undefined);
  }

  /** Deletes a job and everything of it (its input, chunks, result, manifest). */
  delete(id: string): void {
    if (!ID.test(id)) return;
    this.deleted.add(id);
    this.cache?.delete(id);
    // Retried: on a shared folder a worker may still rename a file into it as it goes.
    rmSync(this.dir(id), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }

  /** The valid records of chunk `n`, with their input positions. */
  chunkInput(id: string, n: number): ChunkInput {
    return JSON.parse(readFileSync(chunkInputPath(this.dir(id), n), 'utf8')) as ChunkInput;
  }

  /**
   * Rewrites a job's input chunks in the order `printOrder` gives (0-based ranks of its valid records in
   * input order), so that the chunks print in that order: cut-stack imposition, whose first sheet needs a
   * record of every chunk, then fills its sheets one after another instead of holding every chunk until
   * the end. The records are streamed through one file per new chunk; the new chunks replace the old ones
   * in one rename. A stop part-way leaves the old chunks (put back by the next call), never a mix.
   */
  async reorderInput(job: Job, printOrder: (n: number) => number[]): Promise<void> {
    const dir = this.dir(job.id);
    const [input, old, work, out] = ['input', 'input.old', 'reorder.work', 'reorder.out'].map((d) => join(dir, d)) as [
      string,
      string,
      string,
      string,
    ];
    if (!existsSync(input) && existsSync(old)) renameSync(old, input);
    for (const d of [old, work, out]) rmSync(d, { recursive: true, force: true });
    const perChunk = Array.from({ length: job.chunks }, (_, n) => this.chunkInput(job.id, n).map(([index]) => index));
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
      for (const [index, raw] of this.chunkInput(job.id, n)) {
        const q = slotOf[rankOf.get(index) as number] as number;
        appendFileSync(join(work, `${pad(chunkOf(q))}.ndjson`), `${JSON.stringify([q, index, raw])}\n`, { mode: 0o600 });
      }
    }
    mkdirPrivate(out);
    for (let n = 0; n < job.chunks; n++) {
      const lines = readFileSync(join(work, `${pad(n)}.ndjson`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as [number, number, unknown]);
      lines.sort((a, b) => a[0] - b[0]);
      await writeDurable(join(out, `${pad(n)}.json`), JSON.stringify(lines.map(([, index, raw]) => [index, raw])));
    }
    rmSync(work, { recursive: true, force: true });
    await rename(input, old);
    await rename(out, input);
    await fsyncDir(dir);
    job.reordered = true;
    await this.save(job);
    rmSync(old, { recursive: true, force: true });
  }

  /** Whether chunk `n` is printed: its meta is there (written last) and so is the PDF it names. */
  chunkPrinted(id: string, n: number): boolean {
    const meta = join(this.dir(id), 'chunks', `${pad(n)}.json`);
    return existsSync(meta) && existsSync(this.chunkPdfPath(id, n));
  }

  /**
   * Keeps a printed chunk: its PDF under a name of its own, then its meta naming that PDF, whose rename
   * commits the chunk. A chunk printed twice at once (a worker that lost its lease and the one that took
   * the chunk over) leaves whole files whatever the interleaving: the meta that lands last names the PDF
   * of its own print, never a mix of two. Never creates folders: a job deleted meanwhile stays deleted.
   */
  async writeChunk(id: string, n: number, pdf: Uint8Array, meta: ChunkMeta): Promise<void> {
    const name = `${pad(n)}.${randomBytes(4).toString('hex')}.pdf`;
    await writeDurable(join(this.dir(id), 'chunks', name), pdf);
    await writeDurable(join(this.dir(id), 'chunks', `${pad(n)}.json`), JSON.stringify({ ...meta, pdf: name }));
  }

  chunkMeta(id: string, n: number): ChunkMeta {
    return JSON.parse(readFileSync(join(this.dir(id), 'chunks', `${pad(n)}.json`), 'utf8')) as ChunkMeta;
  }

  /** The PDF chunk `n`'s meta (read now when not given) names; chunks of an older version: `<n>.pdf`. */
  chunkPdfPath(id: string, n: number, meta?: ChunkMeta): string {
    let name = meta?.pdf ?? `${pad(n)}.pdf`;
    if (!meta) {
      try {
        name = this.chunkMeta(id, n).pdf ?? name;
      } catch {
        // no meta yet: the older name, which is then not there either
      }
    }
    return join(this.dir(id), 'chunks', name);
  }

  /** The PDF `meta` (chunk n's, as read) names. */
  chunkPdf(id: string, n: number, meta: ChunkMeta): Buffer {
    return readFileSync(this.chunkPdfPath(id, n, meta));
  }

  /** Writes the job's result piece by piece, durably. */
  async writeResult(job: Job, produce: Produce): Promise<void> {
    await writeDurableBy(this.resultPath(job), produce);
  }

  /** Makes the result again through a program that reads it and writes another file, durably. */
  async remakeResult(job: Job, make: (from: string, to: string) => Promise<void>): Promise<void> {
    const path = this.resultPath(job);
    await writeDurableWith(path, (tmp) => make(path, tmp));
  }

  async writeManifest(id: string, produce: Produce): Promise<void> {
    await writeDurableBy(this.manifestPath(id), produce);
  }

  /** Whether the job's folder is there (a job.json that cannot be read is not a deleted job). */
  hasFolder(id: string): boolean {
    return ID.test(id) && existsSync(this.dir(id));
  }

  /** Every problem of the records rejected when the job was taken in. */
  intakeRejections(id: string): Rejection[] {
    const path = intakeRejectionsPath(this.dir(id));
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Rejection);
  }

  /** Drops what only printing needed (records, chunks, problems: personal data), once the result is whole. */
  dropWorkFiles(id: string): void {
    for (const name of ['chunks', 'input', 'input.old', 'reorder.work', 'reorder.out', 'rejections.ndjson'])
      rmSync(join(this.dir(id), name), { recursive: true, force: true });
  }

  /** The job's result: result.pdf, or result.zip for split output. */
  resultPath(job: Pick<Job, 'id' | 'output'>): string {
    return join(this.dir(job.id), job.output?.split !== undefined ? 'result.zip' : 'result.pdf');
  }

  manifestPath(id: string): string {
    return join(this.dir(id), 'manifest.json');
  }

  private read(id: string): Job | undefined {
    const path = join(this.dir(id), 'job.json');
    if (!existsSync(path)) return undefined;
    try {
      const job = JSON.parse(readFileSync(path, 'utf8')) as Job;
      const whole =
        typeof job === 'object' && job !== null && job.id === id && typeof job.chunks === 'number' && typeof job.owner === 'string';
      return whole ? job : undefined;
    } catch {
      return undefined;
    }
  }

  private dir(id: string): string {
    return join(this.root, id);
  }
}
