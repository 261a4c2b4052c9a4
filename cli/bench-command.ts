import { chromePath, startEngine } from './start-engine.ts';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import {
  getLayout,
  loadLayouts,
  loadSamples,
  OFFICE_OUTPUT,
  parseOutputOptions,
  parseSheet,
  planSheet,
  type Layout,
  type OutputOptions,
} from '../engine/index.ts';
import { startServer, SERVE_DEFAULTS } from '../server/index.ts';
import { runLoad } from '../server/load-test.ts';
import { intOption, formatOption } from './options.ts';
import { EXIT, OptionError } from './report.ts';
import { benchIntake } from './bench-intake.ts';
import { benchEngine } from './bench-run.ts';
import { benchDiff } from './bench-diff.ts';

/** `count` records made from the layout's samples, each with its own 番号. */
function benchRecords(layout: Layout, count: number): Record<string, unknown>[] {
  const samples = loadSamples(layout) as Record<string, unknown>[];
  return Array.from({ length: count }, (_, i) => ({ ...samples[i % samples.length], number: String(i).padStart(7, '0') }));
}

/** `--chunks 3000,30000`: the job sizes of `bench --enqueue`, in chunks. */
function chunkSizes(value: unknown): number[] {
  const list = typeof value === 'string' ? value : '3000,30000';
  const sizes = list.split(',').map(Number);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000))
    throw new OptionError(`--chunks expects whole numbers from 1 to 1000000 separated by commas, received ${JSON.stringify(list)}`);
  return sizes;
}

/**
 * `bench`: throughput on generated records (the layout's samples, renumbered). By default the engine in
 * this process, from browser start to finished PDF (and PNGs with --format png); with --cli, the
 * `render` command as an operator runs it, from process start to files written. Prints figures; asserts
 * nothing.
 */
export async function benchCommand(values: Record<string, unknown>): Promise<number> {
  const layout = getLayout(loadLayouts(), String(values.layout));
  const count = intOption(values, 'records', 1, 1_000_000) ?? 1000;
  const tabs = intOption(values, 'tabs', 1, 16);
  const chunkSize = intOption(values, 'chunk', 1, 10_000);
  const format = formatOption(values);
  const records = benchRecords(layout, count);
  if (values.cli === true) return benchCli(layout, records, format);
  const json = values.json === true;
  if (values.http === true) {
    const withJob = intOption(values, 'with-job', 1, 1_000_000);
    const seconds = intOption(values, 'seconds', 1, 600) ?? 10;
    if (withJob !== undefined) return benchHttpDuringJob(layout, withJob, seconds, intOption(values, 'clients', 1, 256) ?? 1, json);
    return benchHttp(layout, seconds, intOption(values, 'clients', 1, 256), json);
  }
  if (values.diff === true) return benchDiff(layout, records, json);
  if (values['scale-out'] === true)
    return (await import('./bench-scale-out.ts')).benchScaleOut(
      layout,
      intOption(values, 'records', 1, 1_000_000) ?? 10_000,
      intOption(values, 'repeat', 1, 10) ?? 1,
      json,
    );
  if (values.enqueue === true)
    return (await import('./bench-enqueue.ts')).benchEnqueue(layout, chunkSizes(values.chunks), {
      ...(values['flow-step'] === undefined ? {} : { step: intOption(values, 'flow-step', 1, 10_000_000) as number }),
      json,
    });
  if (values.intake === true) return benchIntake(layout, intOption(values, 'mb', 1, 4096) ?? 250);
  if (values.studio === true) return (await import('./bench-studio.ts')).benchStudio(layout, json);
  if (typeof values.impose === 'string')
    return benchOutput(layout, records, { ...OFFICE_OUTPUT, impose: parseSheet(values.impose) }, { tabs, chunkSize });
  if (typeof values.split === 'string')
    return benchOutput(layout, records, parseOutputOptions({ split: values.split }), { tabs, chunkSize });

  return benchEngine(layout, records, {
    tabs,
    chunkSize,
    format,
    json,
    reference: values.reference === true,
    profile: values.profile === true,
  });
}

/**
 * The same records rendered as trim pages and as another output (imposed sheets, split files), one after
 * the other in one engine (the second run's browser is as warm as the first's: both follow a warm-up
 * render): what that output costs.
 */
async function benchOutput(
  layout: Layout,
  records: Record<string, unknown>[],
  output: OutputOptions,
  o: { tabs: number | undefined; chunkSize: number | undefined },
): Promise<number> {
  const engine = await startEngine({ ...(o.tabs ? { tabs: o.tabs } : {}), ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}) });
  try {
    await engine.renderPdf(layout.id, records.slice(0, 50));
    const time = async (other: boolean) => {
      const t0 = performance.now();
      const r = await engine.renderPdf(layout.id, records, other ? { output, name: 'bench' } : {});
      const files = new Set(r.records.map((rec) => rec.file)).size;
      return { secs: (performance.now() - t0) / 1000, pages: r.pageCount, bytes: r.pdf.length, files };
    };
    const plain = await time(false);
    const other = await time(true);
    const rate = (t: { secs: number }) => `${t.secs.toFixed(2)} s (${(records.length / t.secs).toFixed(1)} records/s)`;
    const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
    const what = output.impose
      ? `sheets ${output.impose.name}, ${planSheet(output.impose, layout.page).perSheet}-up`
      : `split ${String(output.split)}`;
    const otherLine = output.impose
      ? `imposed sheets    ${rate(other)}, ${other.pages} sheet sides, ${mib(other.bytes)}`
      : `split files       ${rate(other)}, ${other.files} PDF files in a ZIP of ${mib(other.bytes)} (${(other.bytes / other.files / 1024).toFixed(0)} KiB a file)`;
    process.stdout.write(
      [
        `layout            ${layout.id}, ${records.length} records; ${what}`,
        `trim pages        ${rate(plain)}, ${plain.pages} pages, ${mib(plain.bytes)}`,
        otherLine,
        `${`${output.impose ? 'imposed' : 'split'} ÷ plain`.padEnd(18)}${(other.secs / plain.secs).toFixed(2)} × the time`,
      ].join('\n') + '\n',
    );
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}

/** Runs `shikaku-print render` on the records in a child process and times it end to end. */
function benchCli(layout: Layout, records: Record<string, unknown>[], format: 'pdf' | 'png'): number {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-bench-'));
  try {
    const data = join(dir, 'records.json');
    const out = join(dir, format === 'pdf' ? 'out.pdf' : 'out');
    writeFileSync(data, JSON.stringify(records));
    const bin = fileURLToPath(new URL('../bin/shikaku-print.js', import.meta.url));
    const t0 = performance.now();
    execFileSync(process.execPath, [bin, 'render', '--layout', layout.id, '--data', data, '--out', out, '--format', format, '--quiet'], {
      stdio: 'inherit',
    });
    const secs = (performance.now() - t0) / 1000;
    const pages = records.length * layout.sides.length;
    const size = format === 'pdf' ? `${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB` : `${readdirSync(out).length} files`;
    const lines = [
      `command           shikaku-print render --layout ${layout.id} --format ${format} (${layout.sides.length} sides)`,
      `records           ${records.length}`,
      `pages             ${pages}`,
      `wall time         ${secs.toFixed(2)} s (process start to files written)`,
      `throughput        ${(records.length / secs).toFixed(1)} records/s, ${(pages / secs).toFixed(1)} pages/s`,
      `output            ${size}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the service on a loopback port and measures single-card renders at 1, 4 and 16 clients, then at
 * 64, past the queue limit, where it must answer 429 rather than let latency grow.
 */
async function benchHttp(layout: Layout, seconds: number, clients: number | undefined, json: boolean): Promise<number> {
  return withLoadService(layout, async ({ base, headers, body }) => {
    if (clients !== undefined) {
      const f = await runLoad(base, headers, body, clients, seconds, 20_000, layout.id);
      const status: Record<string, number> = { 200: f.ok, ...f.refused };
      const figures = {
        layout: layout.id,
        clients,
        seconds,
        requestsPerSecond: round2(f.requestsPerSecond),
        p50Ms: Math.round(f.p50Ms),
        p99Ms: Math.round(f.p99Ms),
        status,
      };
      process.stdout.write(
        json
          ? `${JSON.stringify(figures)}\n`
          : `${clients} clients: ${figures.requestsPerSecond} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${JSON.stringify(status)}\n`,
      );
      return EXIT.ok;
    }
    process.stdout.write(
      `single-card renders (${layout.id}, PDF) against ${base}, ${seconds} s per level; queue: ${SERVE_DEFAULTS.maxWaiting} waiting + ${SERVE_DEFAULTS.syncRenders} running\n`,
    );
    process.stdout.write(
      `${'clients'.padEnd(9)}${'req/s'.padEnd(9)}${'p50 ms'.padEnd(9)}${'p99 ms'.padEnd(9)}${'max ms'.padEnd(9)}${'200'.padEnd(8)}refused\n`,
    );
    for (const level of [1, 4, 16, 64]) {
      const f = await runLoad(base, headers, body, level, seconds, 20_000, layout.id);
      const refused =
        Object.entries(f.refused)
          .map(([status, n]) => `${n}×${status}`)
          .join(' ') || '-';
      process.stdout.write(
        `${String(level).padEnd(9)}${f.requestsPerSecond.toFixed(1).padEnd(9)}${f.p50Ms.toFixed(0).padEnd(9)}${f.p99Ms.toFixed(0).padEnd(9)}${f.maxMs.toFixed(0).padEnd(9)}${String(f.ok).padEnd(8)}${refused}\n`,
      );
    }
    return EXIT.ok;
  });
}

/** What GET /v1/jobs/{id} says of a job, as far as the bench needs it. */
interface JobStatus {
  state: string;
  progress: { done: number };
}

/**
 * Single-card renders over HTTP at `clients` clients, first with nothing else to do, then while a batch
 * job of `jobRecords` records prints in the same service: what a person at a desk feels of a renewal run.
 */
async function benchHttpDuringJob(layout: Layout, jobRecords: number, seconds: number, clients: number, json: boolean): Promise<number> {
  return withLoadService(layout, async ({ base, headers, body }) => {
    const idle = await runLoad(base, headers, body, clients, seconds, 20_000, layout.id);
    const posted = await fetch(`${base}/v1/jobs?layout=${layout.id}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(benchRecords(layout, jobRecords)),
    });
    if (posted.status !== 202) throw new Error(`the job was not taken: ${posted.status} ${await posted.text()}`);
    const { id } = (await posted.json()) as { id: string };
    // Measured once the job is printing, not while its input is still being read.
    for (;;) {
      const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json()) as JobStatus;
      if (job.progress.done > 0 || job.state === 'done' || job.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const busy = await runLoad(base, headers, body, clients, seconds, 20_000, layout.id);
    const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json()) as JobStatus;
    if (job.state === 'done') process.stderr.write('the job finished before the measurement did: give it more records\n');
    const figures = {
      layout: layout.id,
      clients,
      seconds,
      jobRecords,
      idle: { requestsPerSecond: round2(idle.requestsPerSecond), p50Ms: Math.round(idle.p50Ms), p99Ms: Math.round(idle.p99Ms) },
      duringJob: { requestsPerSecond: round2(busy.requestsPerSecond), p50Ms: Math.round(busy.p50Ms), p99Ms: Math.round(busy.p99Ms) },
      p50Ratio: round2(busy.p50Ms / idle.p50Ms),
      jobRecordsPrintedMeanwhile: job.progress.done,
    };
    process.stdout.write(
      json
        ? `${JSON.stringify(figures)}\n`
        : [
            `single-card renders (${layout.id}, PDF), ${clients} client(s), ${seconds} s each`,
            `idle              p50 ${figures.idle.p50Ms} ms, p99 ${figures.idle.p99Ms} ms, ${figures.idle.requestsPerSecond} req/s`,
            `during a job      p50 ${figures.duringJob.p50Ms} ms, p99 ${figures.duringJob.p99Ms} ms, ${figures.duringJob.requestsPerSecond} req/s (job of ${jobRecords} records, ${job.progress.done} printed by then)`,
            `p50 during ÷ idle ${figures.p50Ratio}`,
          ].join('\n') + '\n',
    );
    return EXIT.ok;
  });
}

/** What a load measurement works against: the service on loopback, warmed up, and a one-card request. */
interface LoadService {
  base: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Starts the service on a loopback port with its own data folder, waits until it is ready, warms it up
 * with single-card renders, runs `measure`, then stops it (a job still printing is cut after 1 s) and
 * removes the folder.
 */
async function withLoadService(layout: Layout, measure: (s: LoadService) => Promise<number>): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-load-'));
  const log = pino({ level: 'warn' }, pino.destination(2));
  const service = await startServer({
    port: 0,
    host: '127.0.0.1',
    apiKeys: ['load'],
    dataDir,
    log,
    shutdownGraceMs: 1000,
    engine: { chromePath: chromePath() },
  });
  try {
    const base = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    while ((await fetch(`${base}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
    const headers = { authorization: 'Bearer load', 'content-type': 'application/json' };
    const body = JSON.stringify(benchRecords(layout, 1)[0]);
    await runLoad(base, headers, body, 2, 2, 20_000, layout.id); // warm-up
    return await measure({ base, headers, body });
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
