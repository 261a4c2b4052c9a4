import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, mkdirPrivate, removeTempFiles, writeDurable, writeDurableBy } from './durable-file.ts';
import { migrateFirstVersionJob } from './first-version-jobs.ts';
import { JOB_ID, chunkInputPath, chunkName, intakeLeasePath, intakeRejectionsPath, receivedBodyPath } from './job-folder.ts';
import { ANY_OWNER, endedForGood, failedForNow, type ChunkInput, type ChunkMeta, type Job, type Rejection } from './job-model.ts';
import { SHEET_ORDER_LEFTOVERS, rewriteInSheetOrder } from './sheet-order.ts';
import type { JobFiles, Produce } from './storage.ts';

/**
 * Jobs on disk. `<data>/jobs/<id>/` holds job.json, input/<n>.json (each chunk's valid records),
 * rejections.ndjson (records rejected when taken in), chunks/<n>.pdf and <n>.json as they are printed,
 * then result.pdf and manifest.json; the input and chunks are deleted once the result is written. A job
 * being taken in lives in `<data>/incoming/<id>/` and appears under jobs/ by one rename when whole; a large
 * body answered 202 on receipt waits there as `body` beside a job.json whose state is `validating` (intake.ts
 * checkReceived), and is seen as a job from then on. Where several services share the folder, each intake
 * renews a `lease` file in its folder (intakeLeaseMs / 3), so any instance can tell a dead one's body.
 * Every file is written durably (temp, fsync, rename, fsync the folder); folders are 0700, files 0600.
 * The job logic sees it as JobFiles (storage.ts): an object store can take its place there.
 */
/** Why a job answered 202 on receipt failed when the service checking its body stopped. */
const STOPPED_CHECK = 'the service checking this job’s records stopped before it finished: send the body again';

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
  /** The renewal of each lease of this process's intakes (shared folders only). */
  private readonly beats = new Map<string, NodeJS.Timeout>();
  /** Other instances' intakes as this one's sweeps saw them: the lease's text, and since when by our clock. */
  private readonly seen = new Map<string, { beat: string; since: number }>();
  private readonly leaseMs: number;

  constructor(
    readonly dataDir: string,
    o: { shared?: boolean; leaseMs?: number } = {},
  ) {
    this.cache = o.shared ? undefined : new Map();
    this.leaseMs = o.leaseMs ?? 15_000;
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
  async recover(
    o: { stoppedCheck?: (job: Job) => void } = {},
  ): Promise<{ quarantined: string[]; tempFiles: number; incomplete: number; migrated: number; stoppedChecks: string[] }> {
    let tempFiles = 0;
    let migrated = 0;
    // A body answered 202 and being checked when the service stopped ends failed (its client was told
    // it exists); any other intake was never answered and goes.
    const stoppedChecks: string[] = [];
    for (const id of readdirSync(this.incoming)) {
      const job = this.readReceived(id);
      if (!job) continue;
      o.stoppedCheck?.(job);
      await this.failIntake(job, STOPPED_CHECK);
      stoppedChecks.push(id);
    }
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
    return { quarantined, tempFiles, incomplete, migrated, stoppedChecks };
  }

  /** A new job's folder under incoming/, for the intake to fill. */
  beginIntake(): { id: string; dir: string } {
    const id = randomBytes(12).toString('hex');
    const dir = join(this.incoming, id);
    try {
      mkdirPrivate(join(dir, 'input'));
      mkdirPrivate(join(dir, 'chunks'));
      if (!this.cache) this.renewLease(id, dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { id, dir };
  }

  /**
   * Writes the intake's lease now and every third of the lease until the intake ends: a new random text
   * each time, so other instances see it change by their own clocks (no clock shared between machines,
   * and a file read anew is current on NFS, whose cached times are not).
   */
  private renewLease(id: string, dir: string): void {
    const beat = () => randomBytes(8).toString('hex');
    writeFileSync(intakeLeasePath(dir), beat(), { mode: 0o600 });
    const timer = setInterval(() => void writeFile(intakeLeasePath(dir), beat()).catch(() => undefined), this.leaseMs / 3);
    timer.unref();
    this.beats.set(id, timer);
  }

  /** The intake has ended (kept, failed or dropped): its lease is no longer renewed. */
  private endLease(id: string): void {
    clearInterval(this.beats.get(id));
    this.beats.delete(id);
    rmSync(intakeLeasePath(join(this.incoming, id)), { force: true });
  }

  /** Where a body received whole waits to be checked, in its intake folder. */
  receivedBodyPath(id: string): string {
    return receivedBodyPath(join(this.incoming, id));
  }

  /** Whether an intake's folder is gone (its job deleted while it was checked, or its lease lost). */
  intakeGone(id: string): boolean {
    return this.deleted.has(id) || !existsSync(join(this.incoming, id));
  }

  /** Saves a job that is being checked (`validating`), in its intake folder: from now on it is seen. */
  async saveReceived(job: Job): Promise<void> {
    if (this.deleted.has(job.id)) return;
    job.updatedAt = new Date().toISOString();
    this.cache?.set(job.id, job);
    await this.writeJobFile(job.id, join(this.incoming, job.id, 'job.json'), job);
  }

  /**
   * Ends a job that failed before it was queued (its body checked after a 202, or orphaned meanwhile):
   * its records go, and the job, failed with `error`, moves under jobs/ by one rename.
   */
  async failIntake(job: Job, error: string): Promise<void> {
    const dir = join(this.incoming, job.id);
    this.endLease(job.id);
    for (const name of ['body', 'input', 'chunks', 'rejections.ndjson']) rmSync(join(dir, name), { recursive: true, force: true });
    Object.assign(job, { state: 'failed', error, done: 0, chunks: 0, updatedAt: new Date().toISOString() });
    await this.writeJobFile(job.id, join(dir, 'job.json'), job);
    await rename(dir, this.dir(job.id));
    await fsyncDir(this.root);
    await fsyncDir(this.incoming);
    this.cache?.delete(job.id);
  }

  /** Writes the job and moves its folder from incoming/ into jobs/: from here on it exists. */
  async commitIntake(job: Job): Promise<void> {
    const dir = join(this.incoming, job.id);
    job.updatedAt = new Date().toISOString();
    this.endLease(job.id);
    rmSync(receivedBodyPath(dir), { force: true });
    await this.writeJobFile(job.id, join(dir, 'job.json'), job);
    await rename(dir, this.dir(job.id));
    await fsyncDir(this.root);
    await fsyncDir(this.incoming);
    this.cache?.set(job.id, job);
  }

  /**
   * Where several services share the folder: ends the intakes of instances that died taking them in.
   * Another instance's intake is dead once its lease has not changed for a whole lease by this process's
   * clock (so a dead instance's body goes within a lease and two sweeps); its body goes, or, for a job
   * answered 202 and still being checked, the job ends failed (`ending` first sees it, for its webhook).
   * A folder without a lease (an older version's intake) goes once untouched for `olderThanMs`.
   */
  async sweepIncoming(o: { olderThanMs: number; ending?: (job: Job) => void }): Promise<{ dropped: number; failed: Job[] }> {
    let dropped = 0;
    const failed: Job[] = [];
    const now = Date.now();
    const present = new Set(readdirSync(this.incoming));
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    for (const id of present) {
      if (this.beats.has(id)) continue; // our own, alive
      const dir = join(this.incoming, id);
      try {
        if (!this.leaseExpired(id, dir, now, o.olderThanMs)) continue;
        const job = this.readReceived(id);
        if (job) {
          o.ending?.(job);
          await this.failIntake(job, STOPPED_CHECK);
          failed.push(job);
        } else {
          rmSync(dir, { recursive: true, force: true });
          dropped++;
        }
        this.seen.delete(id);
      } catch {
        continue; // taken by another instance's sweep meanwhile, or unreadable for a moment
      }
    }
    return { dropped, failed };
  }

  private leaseExpired(id: string, dir: string, now: number, olderThanMs: number): boolean {
    let beat: string;
    try {
      beat = readFileSync(intakeLeasePath(dir), 'utf8');
    } catch {
      // No lease: an older version's intake adds a file to input/ every 100 records; its time says it is alive.
      const touched = Math.max(...[dir, join(dir, 'input')].map((d) => (existsSync(d) ? statSync(d).mtimeMs : 0)));
      return now - touched >= olderThanMs;
    }
    const seen = this.seen.get(id);
    if (!seen || seen.beat !== beat) {
      this.seen.set(id, { beat, since: now });
      return false;
    }
    return now - seen.since >= this.leaseMs;
  }

  /** Drops a job that was being taken in. */
  abortIntake(id: string): void {
    this.endLease(id);
    this.cache?.delete(id);
    rmSync(join(this.incoming, id), { recursive: true, force: true });
  }

  /** The job with `id`, or undefined; a job still being checked (`validating`) too. */
  get(id: string): Job | undefined {
    if (!JOB_ID.test(id)) return undefined;
    return this.cache?.get(id) ?? this.read(id) ?? this.readReceived(id);
  }

  /** Jobs to run at start, oldest first: queued, running, and those failed for a passing cause. */
  resumable(): Job[] {
    return this.all()
      .filter((j) => j.state === 'queued' || j.state === 'running' || failedForNow(j))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Saves the job; kept in memory first, so a full disk that refuses the write loses nothing said. */
  async save(job: Job): Promise<void> {
    if (this.deleted.has(job.id)) return;
    job.updatedAt = new Date().toISOString();
    this.cache?.set(job.id, job);
    await this.writeJobFile(job.id, join(this.dir(job.id), 'job.json'), job);
    // Stored: a finished job need not be held in memory any more (a full disk that refused it keeps it).
    if (job.state === 'done' || job.state === 'failed') this.cache?.delete(job.id);
  }

  /** One write of a job's job.json at a time, in order: chunks printing in parallel save the same job. */
  private async writeJobFile(id: string, path: string, job: Job): Promise<void> {
    const previous = this.saving.get(id) ?? Promise.resolve();
    const text = JSON.stringify(job);
    const write = previous.catch(() => undefined).then(() => writeDurable(path, text));
    this.saving.set(id, write);
    try {
      await write;
    } finally {
      if (this.saving.get(id) === write) this.saving.delete(id);
    }
  }

  /** Ended jobs whose webhook is still to be delivered: their retries go on after a restart. */
  pendingWebhooks(): Job[] {
    return this.all().filter((j) => j.webhook?.state === 'pending');
  }

  /** Every job of `owner` (and those made before jobs had owners), newest first. */
  list(owner: string): Job[] {
    const checking = readdirSync(this.incoming)
      .map((id) => this.cache?.get(id) ?? this.readReceived(id))
      .filter((j): j is Job => j !== undefined);
    return [...this.all(), ...checking]
      .filter((j) => j.owner === owner || j.owner === ANY_OWNER)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** Finished jobs (done, or failed for good) last changed before `before`: retention deletes them. */
  finishedBefore(before: Date): Job[] {
    const cutoff = before.toISOString();
    return this.all().filter((j) => endedForGood(j) && j.updatedAt < cutoff);
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
    // A job still being checked: its intake finds its folder gone and stops.
    if (existsSync(join(this.incoming, id))) {
      this.endLease(id);
      rmSync(join(this.incoming, id), { recursive: true, force: true });
    }
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
    return this.readJobFile(id, join(this.dir(id), 'job.json'));
  }

  /** A job answered 202 on receipt whose body is still being checked (its job.json in incoming/). */
  private readReceived(id: string): Job | undefined {
    if (!JOB_ID.test(id)) return undefined;
    const job = this.readJobFile(id, join(this.incoming, id, 'job.json'));
    return job?.state === 'validating' ? job : undefined;
  }

  private readJobFile(id: string, path: string): Job | undefined {
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
