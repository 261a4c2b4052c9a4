import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, getLayout, loadLayouts, loadSamples, rasterizePdf, type Layout } from '../engine/index.ts';
import { intOption, formatOption } from './options.ts';
import { EXIT } from './report.ts';

/** `count` records made from the layout's samples, each with its own 番号. */
function benchRecords(layout: Layout, count: number): Record<string, unknown>[] {
  const samples = loadSamples(layout) as Record<string, unknown>[];
  return Array.from({ length: count }, (_, i) => ({ ...samples[i % samples.length], number: String(i).padStart(7, '0') }));
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

  const t0 = performance.now();
  const engine = await Engine.start({ ...(tabs ? { tabs } : {}), ...(chunkSize ? { chunkSize } : {}) });
  const memory = new MemorySampler(engine.browserPid());
  try {
    const t1 = performance.now();
    const result = await engine.renderPdf(layout.id, records);
    const t2 = performance.now();
    let t3 = t2;
    if (format === 'png') {
      await rasterizePdf(result.pdf, result.pageCount, layout.page, 300);
      t3 = performance.now();
    }
    memory.stop();
    const secs = (t3 - t0) / 1000;
    const lines = [
      `layout            ${layout.id} (${layout.sides.length} sides), format ${format}`,
      `records           ${count}`,
      `pages             ${result.pageCount}`,
      `browser start     ${((t1 - t0) / 1000).toFixed(2)} s`,
      `render to PDF     ${((t2 - t1) / 1000).toFixed(2)} s (${(count / ((t2 - t1) / 1000)).toFixed(1)} records/s)`,
      ...(format === 'png' ? [`PDF to PNG        ${((t3 - t2) / 1000).toFixed(2)} s at 300 dpi`] : []),
      `total             ${secs.toFixed(2)} s`,
      `throughput        ${(count / secs).toFixed(1)} records/s, ${(result.pageCount / secs).toFixed(1)} pages/s (from browser start)`,
      `PDF size          ${(result.pdf.length / 1024 / 1024).toFixed(2)} MiB`,
      `peak RSS node     ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
      `peak RSS chromium ${(memory.peakKiB / 1024).toFixed(0)} MiB (all its processes, sampled every 200 ms)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    memory.stop();
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
    execFileSync(process.execPath, [bin, 'render', '--layout', layout.id, '--data', data, '--out', out, '--format', format, '--quiet'], { stdio: 'inherit' });
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

/** Samples the summed resident memory of a process and its descendants (Linux /proc). */
class MemorySampler {
  peakKiB = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly rootPid: number | undefined) {
    if (rootPid !== undefined) this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sample(): void {
    if (this.rootPid === undefined) return;
    const parents = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const status = readFileSync(`/proc/${entry}/status`, 'utf8');
        parents.set(Number(entry), Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0));
        rss.set(Number(entry), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch {
        // the process ended while we read
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) if (p === this.rootPid) return true;
      return false;
    };
    let total = 0;
    for (const [pid, kib] of rss) if (inTree(pid)) total += kib;
    this.peakKiB = Math.max(this.peakKiB, total);
  }
}
