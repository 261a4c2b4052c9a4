import { chromePath, startEngine } from './start-engine.ts';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_DEFAULTS, printReference, rasterizePdf, type Layout, type StepTime } from '../engine/index.ts';
import { ProcessSampler, type CpuSeconds } from './process-sampler.ts';
import { EXIT } from './report.ts';

/** How the engine run of the bench is made and reported. */
export interface EngineBenchOptions {
  tabs: number | undefined;
  chunkSize: number | undefined;
  format: 'pdf' | 'png';
  json: boolean;
  /** Also print the same records the plain way, in the same run: engine/browser/reference-print.ts. */
  reference: boolean;
  /** Print where the time went, step by step, and the CPU time of each kind of process. */
  profile: boolean;
}

/**
 * The engine in this process, from browser start to finished PDF written to a file (and PNGs with --format
 * png), as a renewal run goes: the PDF is streamed to disk, never held, so memory is that of a long run.
 * With --reference, bare puppeteer then prints the plain HTML of the same records with as many tabs, and
 * the ratio engine ÷ reference says how much less work the engine gives Chromium.
 */
export async function benchEngine(layout: Layout, records: Record<string, unknown>[], o: EngineBenchOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-bench-'));
  const tabs = o.tabs ?? ENGINE_DEFAULTS.tabs;
  try {
    const t0 = performance.now();
    const engine = await startEngine({ tabs, ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}) });
    const sampler = new ProcessSampler(() => engine.browserPid());
    let cpu: CpuSeconds;
    let steps: Record<string, StepTime>;
    let pages: number;
    const times = { start: 0, render: 0, png: 0 };
    const out = join(dir, 'out.pdf');
    const referenceFiles: string[] = [];
    try {
      const t1 = performance.now();
      const fd = openSync(out, 'w');
      try {
        pages = (await engine.render(layout.id, records, (b) => void writeSync(fd, b))).pageCount;
      } finally {
        closeSync(fd);
      }
      const t2 = performance.now();
      times.start = (t1 - t0) / 1000;
      times.render = (t2 - t1) / 1000;
      if (o.format === 'png') {
        await rasterizePdf(readFileSync(out), pages, layout.page, 300);
        times.png = (performance.now() - t2) / 1000;
      }
      cpu = sampler.cpu();
      steps = engine.stepTimes.snapshot();
      if (o.reference) {
        // The plain documents are made and saved before the reference run starts, as its input.
        let n = 0;
        for (const html of engine.documents(layout.id, records, { share: false })) {
          const file = join(dir, `reference-${n++}.html`);
          writeFileSync(file, html);
          referenceFiles.push(file);
        }
      }
    } finally {
      sampler.stop();
      await engine.close();
    }
    const seconds = times.start + times.render + times.png;
    const pdfBytes = statSync(out).size;
    rmSync(out);
    const reference = o.reference
      ? await printReference(referenceFiles, { tabs, insurers: engine.insurers, chromePath: chromePath() })
      : undefined;
    const figures = {
      layout: layout.id,
      records: records.length,
      pages,
      seconds: round2(seconds),
      recordsPerSecond: round2(records.length / seconds),
      ...(reference
        ? {
            referenceRecordsPerSecond: round2(records.length / reference.seconds),
            ratio: round2(reference.seconds / seconds),
          }
        : {}),
      peakRssMiB: Math.round(sampler.peakKiB / 1024),
      peakPssMiB: Math.round(sampler.peakPssKiB / 1024),
      pdfBytes,
      bytesPerRecord: Math.round(pdfBytes / records.length),
      ...(o.profile ? { steps: roundSteps(steps), cpuSeconds: roundValues(cpu) } : {}),
    };
    if (o.json) {
      // docs/spec/interfaces.md, Bench: one object; seconds from browser start to finished output
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      return EXIT.ok;
    }
    const lines = [
      `layout            ${layout.id} (${layout.sides.length} sides), format ${o.format}, ${tabs} tabs`,
      `records           ${records.length}`,
      `pages             ${pages}`,
      `browser start     ${times.start.toFixed(2)} s`,
      `render to PDF     ${times.render.toFixed(2)} s (${(records.length / times.render).toFixed(1)} records/s), streamed to a file`,
      ...(o.format === 'png' ? [`PDF to PNG        ${times.png.toFixed(2)} s at 300 dpi`] : []),
      `total             ${seconds.toFixed(2)} s`,
      `throughput        ${figures.recordsPerSecond.toFixed(1)} records/s, ${(pages / seconds).toFixed(1)} pages/s (from browser start)`,
      ...(reference
        ? [
            `reference         ${reference.seconds.toFixed(2)} s, ${figures.referenceRecordsPerSecond?.toFixed(1)} records/s: bare puppeteer, ${tabs} tabs, goto + page.pdf of the plain HTML (${(reference.pdfBytes / 1048576).toFixed(2)} MiB of PDFs)`,
            `engine ÷ reference ${figures.ratio?.toFixed(2)} (above 1: the engine gives Chromium less to do)`,
          ]
        : []),
      `PDF size          ${(pdfBytes / 1048576).toFixed(2)} MiB, ${figures.bytesPerRecord} bytes per record`,
      `peak memory       ${figures.peakRssMiB} MiB resident (node + every Chromium process at one instant, sampled every 200 ms); ${figures.peakPssMiB} MiB proportional (shared pages counted once, sampled every second)`,
    ];
    if (o.profile) {
      lines.push('where the time went (ms summed over tabs; per call in brackets):');
      for (const [step, t] of Object.entries(steps)) {
        lines.push(
          `  ${step.padEnd(18)} ${t.ms.toFixed(0).padStart(8)} ms  ${String(t.count).padStart(6)} × (${(t.ms / t.count).toFixed(1)} ms)`,
        );
      }
      lines.push('resident memory at the peak, by process (MiB):');
      for (const [kind, kib] of Object.entries(sampler.peakByKind))
        lines.push(`  ${kind.padEnd(18)} ${(kib / 1024).toFixed(0).padStart(8)}`);
      lines.push(`CPU seconds by process (wall ${seconds.toFixed(1)} s × cores available):`);
      for (const [kind, s] of Object.entries(cpu)) lines.push(`  ${kind.padEnd(18)} ${s.toFixed(1).padStart(8)} s`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function roundValues(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round2(v)]));
}

function roundSteps(o: Record<string, StepTime>): Record<string, StepTime> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { ms: Math.round(v.ms), count: v.count }]));
}
