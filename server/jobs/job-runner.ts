import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import { PdfWriter, PrintError, getLayout, type Engine, type Layout } from '../../engine/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Job, JobStore, Rejection } from './job-store.ts';

/**
 * Runs batch jobs one after another, each chunk by chunk through the engine (which survives browser
 * crashes by restarting and printing the chunk again). Each printed chunk is kept on disk, so a job
 * interrupted by a service restart resumes where it stopped; at the end the chunks are joined in order
 * into result.pdf and every input record is accounted for in manifest.json.
 */
export class JobRunner {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly store: JobStore,
    private readonly engine: () => Engine | undefined,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly concurrency = 2,
  ) {}

  /** Queues a job (new, or unfinished after a restart) and starts work when idle. */
  enqueue(id: string): void {
    this.queue.push(id);
    this.metrics.jobsWaiting.set(this.queue.length + (this.running ? 1 : 0));
    this.kick();
  }

  /** Starts the loop if there is work and an engine. */
  kick(): void {
    if (this.running || this.stopping || !this.engine() || this.queue.length === 0) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  /** Stops after the chunks in progress; unfinished jobs stay on disk and resume at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping && this.queue.length) {
      const id = this.queue.shift() as string;
      this.metrics.jobsWaiting.set(this.queue.length + 1);
      const job = this.store.get(id);
      if (!job || job.state === 'done' || job.state === 'failed') continue;
      try {
        await this.run(job);
      } catch (err) {
        if (this.stopping) return; // resumes at the next start
        job.state = 'failed';
        job.error = err instanceof PrintError ? `${err.code}: ${err.message}` : 'internal error';
        this.store.save(job);
        this.log.error({ job: job.id, code: err instanceof PrintError ? err.code : 'INTERNAL' }, 'job failed');
      }
    }
    this.metrics.jobsWaiting.set(this.queue.length);
  }

  private async run(job: Job): Promise<void> {
    const engine = this.engine();
    if (!engine) throw new PrintError('RENDER', 'no engine');
    const layout = getLayout(engine.layouts, job.layout);
    const records = this.store.records(job.id);
    job.state = 'running';
    this.store.save(job);
    this.log.info({ job: job.id, layout: job.layout, records: job.total, chunks: job.plan.length }, 'job started');
    let next = 0;
    const worker = async () => {
      while (!this.stopping && next < job.plan.length) {
        const n = next++;
        if (existsSync(this.store.chunkPath(job.id, n))) continue;
        await this.printChunk(engine, layout, job, records, n);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    if (this.stopping) throw new Error('stopping');
    await this.assemble(job, layout);
    job.state = 'done';
    job.done = job.plan.reduce((sum, c) => sum + c.length, 0);
    this.store.save(job);
    // The chunks are in result.pdf now; dropped only after the job is saved done, so a restart in between
    // never finds a job that needs chunks it no longer has.
    this.store.dropChunks(job.id);
    this.log.info({ job: job.id, printed: job.done, rejected: new Set(job.rejections.map((r) => r.record)).size }, 'job done');
  }

  /** Prints chunk `n`; a record whose text does not fit its box is rejected and the chunk printed without it. */
  private async printChunk(engine: Engine, layout: Layout, job: Job, records: unknown[], n: number): Promise<void> {
    for (;;) {
      const indices = job.plan[n] as number[];
      if (indices.length === 0) break;
      const stop = this.metrics.renderSeconds.startTimer({ kind: 'job_chunk' });
      try {
        const result = await engine.renderPdf(layout.id, indices.map((i) => records[i]));
        stop();
        this.store.writeFile(job.id, `chunks/${String(n).padStart(6, '0')}.pdf`, result.pdf);
        this.metrics.pages.inc({ layout: layout.id }, result.pageCount);
        break;
      } catch (err) {
        stop();
        if (!(err instanceof PrintError) || err.code !== 'INVALID_INPUT' || err.problems.length === 0) throw err;
        const bad = new Set(err.problems.map((p) => indices[p.record - 1] as number));
        for (const p of err.problems) {
          const index = indices[p.record - 1] as number;
          job.rejections.push({ record: index + 1, path: p.path, message: `${p.label}: ${p.message}` });
        }
        this.metrics.rejections.inc({ reason: 'overflow' }, bad.size);
        job.plan[n] = indices.filter((i) => !bad.has(i));
      }
    }
    job.done += (job.plan[n] as number[]).length;
    this.store.save(job);
  }

  /** Joins the chunks in order into result.pdf and writes the manifest of every input record. */
  private async assemble(job: Job, layout: Layout): Promise<void> {
    const sides = layout.sides.length;
    const tmp = `${this.store.resultPath(job.id)}.tmp`;
    const fd = openSync(tmp, 'w');
    const pages = new Map<number, [number, number]>();
    try {
      const writer = new PdfWriter((bytes) => void writeSync(fd, bytes), layout.page);
      for (const [n, indices] of job.plan.entries()) {
        if (indices.length === 0) continue;
        const first = writer.pageCount;
        indices.forEach((index, k) => pages.set(index, [first + k * sides + 1, first + (k + 1) * sides]));
        await writer.addChunk(readFileSync(this.store.chunkPath(job.id, n)), indices.length * sides);
      }
      writer.finish({ title: layout.name, subject: `${layout.id}: job ${job.id}` });
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.store.resultPath(job.id));
    this.store.writeFile(job.id, 'manifest.json', `${JSON.stringify(jobManifest(job, pages), null, 2)}\n`);
  }
}

/** The manifest of a finished job: every input record, with its pages or why it was rejected. */
export function jobManifest(job: Job, pages: Map<number, [number, number]>): unknown {
  const byRecord = new Map<number, Rejection[]>();
  for (const r of job.rejections) byRecord.set(r.record, [...(byRecord.get(r.record) ?? []), r]);
  return {
    job: job.id,
    layout: job.layout,
    records: Array.from({ length: job.total }, (_, i) => {
      const p = pages.get(i);
      return p ? { record: i + 1, pages: p } : { record: i + 1, rejected: (byRecord.get(i + 1) ?? []).map(({ path, message }) => ({ path, message })) };
    }),
  };
}
