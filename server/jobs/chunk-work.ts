import {
  PrintError,
  throwIfCancelled,
  parseOutputOptions,
  writeOutput,
  writeManifest,
  manifestRecord,
  mergeFieldMaps,
  type Engine,
  type FieldMapSide,
  type Layout,
  type RecordPages,
  renderMailRun,
  summaryOfEnvelopes,
  MAIL_SHEET_MM,
  DEFAULT_ENVELOPE,
  mailingSummaryPdf,
  PdfWriter,
  type EnvelopeOutput,
  type Insurers,
  receiptList,
  receiptListPdf,
  receiptCsv,
  senderSettings,
  type RegisteredRun,
  registeredOf,
  type MailRunOptions,
  type MailRunSummary,
} from '../../engine/index.ts';
import type { Metrics } from '../metrics.ts';
import { rejectionOf, type ChunkInput, type ChunkMeta, type Job, type JobMailing, type Rejection } from './job-model.ts';
import type { JobFiles, Produce } from './storage.ts';

/*
 * The engine's part of a batch job, below its lifecycle (lifecycle.ts, which the embedded runner and the
 * BullMQ workers share): printing one chunk's records, and joining the printed chunks into the result and
 * the manifest.
 */

/**
 * Prints one chunk's records. A record whose text does not fit its box is rejected and the chunk printed
 * again without it. Writes nothing: JobLifecycle.printChunk commits the chunk, its caller counts it.
 */
export async function printChunk(
  engine: Engine,
  layout: Layout,
  chunk: ChunkInput,
  signal: AbortSignal,
  metrics: Metrics,
  mailing?: JobMailing & { firstEnvelope?: number },
): Promise<{ pdf: Uint8Array; meta: ChunkMeta }> {
  let input = chunk;
  const rejections: Rejection[] = [];
  let pdf: Uint8Array = new Uint8Array();
  let keys: string[] = [];
  let fieldMap: FieldMapSide[] | undefined;
  let mailed: Pick<ChunkMeta, 'envelopes' | 'pages' | 'envelopeProfile'> = {};
  while (input.length) {
    const stop = metrics.renderSeconds.startTimer({ kind: 'job_chunk' });
    try {
      const raws = input.map(([, raw]) => raw);
      const result = mailing
        ? await renderMailRunPdf(engine, layout, raws, {
            signal,
            mail: mailing.mail,
            sort: 'input',
            envelope: mailing.envelope,
            runId: mailing.run,
            firstEnvelope: mailing.firstEnvelope,
            // Intake wrote each envelope's number into its records.
            ...(mailing.registered ? { registered: { kind: mailing.registered.kind } } : {}),
          })
        : await engine.renderPdf(layout.id, raws, { signal, fieldMap: true });
      stop();
      pdf = result.pdf;
      keys = result.records.map((r) => r.key ?? '');
      fieldMap = result.fieldMap;
      // The chunk's mailing run numbers its records 1… in the chunk's order: the job's are their input positions.
      const jobRecord = (r: number) => (input[r - 1] as [number, unknown])[0] + 1;
      if (mailing) {
        mailed = {
          pages: result.records.map((r) => [r.firstPage, r.lastPage]),
          envelopes: (result.envelopes ?? []).map((e) => ({ ...e, records: e.records.map(jobRecord) })),
          ...('envelopeProfile' in result && typeof result.envelopeProfile === 'string' ? { envelopeProfile: result.envelopeProfile } : {}),
        };
      }
      metrics.pages.inc({ layout: layout.id }, result.pageCount);
      break;
    } catch (err) {
      stop();
      if (!(err instanceof PrintError) || err.code !== 'INVALID_INPUT' || err.problems.length === 0) throw err;
      const bad = new Set(err.problems.map((p) => p.record - 1));
      for (const p of err.problems) {
        const [index] = input[p.record - 1] as [number, unknown];
        rejections.push(rejectionOf(p, index + 1));
      }
      metrics.rejections.inc({ reason: 'overflow' }, bad.size);
      input = input.filter((_, k) => !bad.has(k));
    }
  }
  return { pdf, meta: { printed: input.map(([index]) => index), keys, rejections, ...(fieldMap ? { fieldMap } : {}), ...mailed } };
}

/** A mailing run of a chunk's records into memory. */
async function renderMailRunPdf(
  engine: Engine,
  layout: Layout,
  raws: unknown[],
  options: MailRunOptions,
): Promise<MailRunSummary & { pdf: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const summary = await renderMailRun(engine, layout.id, raws, (b) => void parts.push(b), options);
  return { ...summary, pdf: Buffer.concat(parts) };
}

/**
 * Checks, before anything is written, that the chunks account for every input record exactly once:
 * printed, rejected when printed, or rejected when taken in. A record printed twice (two runs of a chunk
 * committed under different shapes) would shift every page after it; such a job fails instead.
 */
export function checkPartition(total: number, printed: number[], rejected: Rejection[]): void {
  const seen = new Uint8Array(total);
  const mark = (index: number, what: string) => {
    if (!Number.isInteger(index) || index < 0 || index >= total)
      throw new PrintError('RENDER', `chunk outputs inconsistent: ${what} record ${index + 1} is not in the job`);
    if (seen[index] === 1) throw new PrintError('RENDER', `chunk outputs inconsistent: record ${index + 1} is accounted for twice`);
    seen[index] = 1;
  };
  for (const index of printed) mark(index, 'printed');
  for (const record of new Set(rejected.map((r) => r.record))) mark(record - 1, 'rejected');
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new PrintError('RENDER', `chunk outputs inconsistent: record ${missing + 1} is neither printed nor rejected`);
}

/**
 * Joins the chunks in order into the result (result.pdf, or result.zip of split files) and writes the
 * manifest of every input record. The job's counts are taken again from what is on disk: a crash
 * between a chunk and its job save cannot skew them.
 */
export async function assembleJob(
  store: JobFiles,
  job: Job,
  layout: Layout,
  o: { problemsShown: number; pressIcc?: string | undefined; insurers?: Insurers | undefined; signal?: AbortSignal | undefined },
): Promise<void> {
  const output = parseOutputOptions(job.output ?? {});
  const metas = Array.from({ length: job.chunks }, (_, n) => store.chunkMeta(job.id, n));
  const rejections = [...store.intakeRejections(job.id), ...metas.flatMap((m) => m.rejections)];
  if (job.mailing) return assembleMailing(store, job, layout, metas, rejections, o);
  // The output stage numbers the printed records 0, 1, 2 … in input order; the manifest speaks of input
  // positions. (Chunks may hold them in print order: cut-stack imposition.)
  const printed = metas.flatMap((m) => m.printed).sort((a, b) => a - b);
  checkPartition(job.total, printed, rejections);
  const keys = new Map(metas.flatMap((m) => m.printed.map((index, k): [number, string | undefined] => [index, m.keys?.[k]])));
  const position = new Map(printed.map((index, p) => [index, p]));
  const pages = new Map<number, RecordPages>();
  await store.writeResult(job, async (write) => {
    const stage = {
      name: `job ${job.id}`,
      naming: { keyOf: (position: number) => keys.get(printed[position] as number), modified: new Date(job.createdAt) },
      info: { title: layout.name, subject: `${layout.id}: job ${job.id}` },
      icc: o.pressIcc,
      pressTitle: `${layout.name}: job ${job.id}`,
      date: new Date(job.createdAt),
    };
    const summary = await writeOutput(write, layout, output, stage, async (target) => {
      target.printOrder(printed.length);
      for (let n = 0; n < job.chunks; n++) {
        const meta = metas[n] as ChunkMeta;
        if (meta.printed.length === 0) continue;
        throwIfCancelled(o.signal);
        // The PDF the meta read above names: never another print's, committed since (a chunk taken over).
        await target.add(
          store.chunkPdf(job.id, n, meta),
          meta.printed.map((index) => position.get(index) as number),
        );
      }
    });
    for (const r of summary.records) {
      const index = printed[r.record - 1] as number;
      const key = keys.get(index);
      pages.set(index, { ...r, ...(key ? { key } : {}) });
    }
  });
  rejections.sort((a, b) => a.record - b.record);
  // Where each fixed box is, for the proof diff to name what changed (chunks of an older version had none).
  const fieldMap = metas.every((m) => m.fieldMap || m.printed.length === 0)
    ? mergeFieldMaps(
        layout,
        metas.flatMap((m) => (m.fieldMap ? [m.fieldMap] : [])),
        output,
      )
    : undefined;
  await store.writeManifest(job.id, manifestOf(job, pages, rejections, fieldMap));
  job.done = pages.size;
  job.rejected = new Set(rejections.map((r) => r.record)).size;
  job.rejectionCount = rejections.length;
  job.rejections = rejections.slice(0, o.problemsShown);
}

/**
 * A mailing job's result: its chunks' PDFs one after the other (each holds whole envelopes, in envelope
 * order: intake.ts), the envelopes renumbered through the job, and the mailing summary.
 */
async function assembleMailing(
  store: JobFiles,
  job: Job,
  layout: Layout,
  metas: ChunkMeta[],
  rejections: Rejection[],
  o: { problemsShown: number; insurers?: Insurers | undefined; signal?: AbortSignal | undefined },
): Promise<void> {
  checkPartition(
    job.total,
    metas.flatMap((m) => m.printed),
    rejections,
  );
  const pages = new Map<number, RecordPages>();
  const envelopes: EnvelopeOutput[] = [];
  await store.writeResult(job, async (write) => {
    // Every page of a mailing run is the carrier's or the documents' A4 (mail-run.ts).
    const writer = new PdfWriter(write, MAIL_SHEET_MM);
    for (const [n, meta] of metas.entries()) {
      if (meta.printed.length === 0) continue;
      throwIfCancelled(o.signal);
      const offset = writer.pageCount;
      // Envelopes are numbered through the job already (their matching codes say so): only pages move.
      const envelopeOf = new Map<number, number>();
      for (const e of meta.envelopes ?? []) {
        envelopes.push({ ...e, pages: [e.pages[0] + offset, e.pages[1] + offset] });
        for (const r of e.records) envelopeOf.set(r, e.envelope);
      }
      meta.printed.forEach((index, k) => {
        const [a, b] = meta.pages?.[k] ?? [0, 0];
        const key = meta.keys?.[k];
        pages.set(index, {
          record: index + 1,
          firstPage: a + offset,
          lastPage: b + offset,
          envelope: envelopeOf.get(index + 1) as number,
          ...(key ? { key } : {}),
        });
      });
      await writer.addChunk(store.chunkPdf(job.id, n, meta), meta.envelopes?.at(-1)?.pages[1] ?? 0);
    }
    writer.finish({ title: `${layout.name}: mail by ${job.mailing?.mail}`, subject: `${layout.id}: job ${job.id}` });
  });
  rejections.sort((a, b) => a.record - b.record);
  await store.writeManifest(job.id, manifestOf(job, pages, rejections, undefined, envelopes));
  const mailing = job.mailing as JobMailing;
  const summary = summaryOfEnvelopes(
    {
      name: `job ${job.id}`,
      layout: layout.id,
      mail: mailing.mail,
      sort: mailing.sort,
      envelope: metas.find((m) => m.envelopeProfile)?.envelopeProfile ?? mailing.envelope ?? DEFAULT_ENVELOPE,
    },
    envelopes,
  );
  await store.writeMailing(job.id, `${JSON.stringify(summary, null, 2)}\n`, await mailingSummaryPdf(summary));
  // A registered job's receipt list (差出票 / 受領証), its sender from the insurer profile intake checked.
  const registered = registeredOfJob(job, envelopes);
  if (registered && o.insurers) {
    const list = receiptList({ envelopes, registered }, senderSettings(registered.insurerNumber, o.insurers));
    await store.writeReceipts(job.id, await receiptListPdf(list), receiptCsv(list));
  }
  job.done = pages.size;
  job.rejected = new Set(rejections.map((r) => r.record)).size;
  job.rejectionCount = rejections.length;
  job.rejections = rejections.slice(0, o.problemsShown);
}

/**
 * The manifest of a finished job, every input record with its pages or why it was rejected, by the
 * engine's one manifest writer.
 */
function manifestOf(
  job: Job,
  pages: Map<number, RecordPages>,
  rejections: Rejection[],
  fieldMap: FieldMapSide[] | undefined,
  envelopes?: EnvelopeOutput[],
): Produce {
  const byRecord = new Map<number, { path: string; message: string }[]>();
  for (const r of rejections) byRecord.set(r.record, [...(byRecord.get(r.record) ?? []), { path: r.path, message: r.message }]);
  return (write) =>
    writeManifest(write, {
      head: { job: job.id, layout: job.layout },
      count: job.total,
      record: (i) => {
        const p = pages.get(i);
        return p ? manifestRecord({ ...p, record: i + 1 }) : { record: i + 1, rejected: byRecord.get(i + 1) ?? [] };
      },
      tail: { fieldMap, envelopes, registered: registeredOfJob(job, envelopes) },
    });
}

/** A registered job's manifest entry: its kind, sender and the numbers its envelopes print. */
function registeredOfJob(job: Job, envelopes: readonly EnvelopeOutput[] | undefined): RegisteredRun | undefined {
  const registered = job.mailing?.registered;
  const numbers = (envelopes ?? []).flatMap((e) => (e.registeredNumber ? [e.registeredNumber] : []));
  return registered && numbers.length ? registeredOf(registered.kind, registered.insurerNumber, numbers) : undefined;
}
