import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, mkdirPrivate, removeTempFiles, writeDurable, writeDurableBy } from './durable-file.ts';
import { migrateFirstVersionJob } from './first-version-jobs.ts';
import { JOB_ID, chunkInputPath, chunkName, intakeRejectionsPath } from './job-folder.ts';
import { ANY_OWNER, type ChunkInput, type ChunkMeta, type Job, type Rejection } from './job-model.ts';
import { SHEET_ORDER_LEFTOVERS, rewriteInSheetOrder } from './sheet-order.ts';
import type { JobFiles, Produce } from './storage.ts';

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
      for (const sub of [dir, join(dir, 'chunks'), join(dir, 'input')]) tempFiles += removeTempFiles(sub);
      if (JOB_ID.test(id) && this.read(id) === undefined && (await migrateFirstVersionJob(dir, id))) migrated++;
      const job = JOB_ID.test(id) ? this.read(id) : undefined;
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
    if (!JOB_ID.test(id)) return undefined;
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
    if (!JOB_ID.test(id)) return;
    this.deleted.add(id);
    this.cache?.delete(id);
    // Retried: on a shared folder a worker may still rename a file into it as it goes.
    rmSync(this.dir(id), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }

  /** The valid records of chunk `n`, with their input positions. */
  chunkInput(id: string, n: number): ChunkInput {
    return JSON.parse(readFileSync(chunkInputPath(this.dir(id), n), 'utf8')) as ChunkInput;
  }

  /** Rewrites a job's input chunks in sheet order (sheet-order.ts), in one rename. */
  async reorderInput(job: Job, printOrder: (n: number) => number[]): Promise<void> {
    const folder = { dir: this.dir(job.id), chunkInput: (n: number) => this.chunkInput(job.id, n), save: (j: Job) => this.save(j) };
    await rewriteInSheetOrder(folder, job, printOrder);
  }

  /** Whether chunk `n` is printed: its meta is there (written last) and so is the PDF it names. */
  chunkPrinted(id: string, n: number): boolean {
    const meta = join(this.dir(id), 'chunks', `${chunkName(n)}.json`);
    return existsSync(meta) && existsSync(this.chunkPdfPath(id, n));
  }

  /**
   * Keeps a printed chunk: its PDF under a name of its own, then its meta naming that PDF, whose rename
   * commits the chunk. A chunk printed twice at once (a worker that lost its lease and the one that took
   * the chunk over) leaves whole files whatever the interleaving: the meta that lands last names the PDF
   * of its own print, never a mix of two. Never creates folders: a job deleted meanwhile stays deleted.
   */
  async writeChunk(id: string, n: number, pdf: Uint8Array, meta: ChunkMeta): Promise<void> {
    const name = `${chunkName(n)}.${randomBytes(4).toString('hex')}.pdf`;
    await writeDurable(join(this.dir(id), 'chunks', name), pdf);
    await writeDurable(join(this.dir(id), 'chunks', `${chunkName(n)}.json`), JSON.stringify({ ...meta, pdf: name }));
  }

  chunkMeta(id: string, n: number): ChunkMeta {
    return JSON.parse(readFileSync(join(this.dir(id), 'chunks', `${chunkName(n)}.json`), 'utf8')) as ChunkMeta;
  }

  /** The PDF chunk `n`'s meta (read now when not given) names; chunks of an older version: `<n>.pdf`. */
  chunkPdfPath(id: string, n: number, meta?: ChunkMeta): string {
    let name = meta?.pdf ?? `${chunkName(n)}.pdf`;
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

  async writeManifest(id: string, produce: Produce): Promise<void> {
    await writeDurableBy(this.manifestPath(id), produce);
  }

  async writeMailing(id: string, json: string, pdf: Uint8Array): Promise<void> {
    await writeDurableBy(this.mailingPath(id, 'json'), (write) => write(json));
    await writeDurableBy(this.mailingPath(id, 'pdf'), (write) => write(pdf));
  }

  async writeReceipts(id: string, pdf: Uint8Array, csv: string): Promise<void> {
    await writeDurableBy(this.receiptsPath(id, 'pdf'), (write) => write(pdf));
    await writeDurableBy(this.receiptsPath(id, 'csv'), (write) => write(csv));
  }

  /** A registered mailing job's receipt list: receipts.pdf or receipts.csv. */
  receiptsPath(id: string, kind: 'pdf' | 'csv'): string {
    return join(this.dir(id), `receipts.${kind}`);
  }

  /** A mailing job's summary: mailing.json or mailing.pdf. */
  mailingPath(id: string, kind: 'json' | 'pdf'): string {
    return join(this.dir(id), `mailing.${kind}`);
  }

  /** Whether the job's folder is there (a job.json that cannot be read is not a deleted job). */
  hasFolder(id: string): boolean {
    return JOB_ID.test(id) && existsSync(this.dir(id));
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
    for (const name of ['chunks', 'input', 'rejections.ndjson', ...SHEET_ORDER_LEFTOVERS])
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
