import { readdirSync, readFileSync } from 'node:fs';
import { Engine, getLayout, loadLayouts, loadSamples, rasterizePdf } from '../engine/index.ts';
import { intOption, formatOption } from './options.ts';
import { EXIT } from './report.ts';

/**
 * `bench`: throughput of the whole engine on generated records (the layout's samples, renumbered), from
 * browser start to finished PDF (and PNGs with --format png). Prints figures; asserts nothing.
 */
export async function benchCommand(values: Record<string, unknown>): Promise<number> {
  const layout = getLayout(loadLayouts(), String(values.layout));
  const count = intOption(values, 'records', 1, 1_000_000) ?? 1000;
  const tabs = intOption(values, 'tabs', 1, 16);
  const chunkSize = intOption(values, 'chunk', 1, 10_000);
  const format = formatOption(values);
  const samples = loadSamples(layout) as Record<string, unknown>[];
  const records = Array.from({ length: count }, (_, i) => ({ ...samples[i % samples.length], number: String(i).padStart(7, '0') }));

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
