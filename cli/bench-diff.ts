import { startEngine } from './start-engine.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePdfOutput, type Layout } from '../engine/index.ts';
import { ProcessSampler } from './process-sampler.ts';
import { EXIT } from './report.ts';

/** Bytes of every file under `dir`; a file removed while it is counted (a job printing) counts 0. */
export function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + (statSync(join(e.parentPath, e.name), { throwIfNoEntry: false })?.size ?? 0), 0);
}

/**
 * `bench --diff`: a run of `records` cards against the same run with three records changed (a 氏名 at
 * 10 % and 90 %, a 住所 at 50 %), diffed as QA runs it: `shikaku-print diff` in a child process, timed from
 * its start to its exit, with the peak memory of it and every process it starts (mutool). The two proofs
 * are rendered first, untimed. Prints figures; asserts nothing.
 */
export async function benchDiff(layout: Layout, records: Record<string, unknown>[], json: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-bench-diff-'));
  try {
    const n = records.length;
    const changed = new Map<number, Record<string, unknown>>([
      [Math.floor(n * 0.1), { name: '山田 花子' }],
      [Math.floor(n * 0.5), { address: '島根県出雲市今市町７０番地１' }],
      [Math.floor(n * 0.9), { name: '佐藤 次郎' }],
    ]);
    const candidate = records.map((r, i) => ({ ...r, ...changed.get(i) }));
    const engine = await startEngine();
    try {
      for (const [name, rs] of [
        ['reference.pdf', records],
        ['candidate.pdf', candidate],
      ] as const)
        await writePdfOutput(join(dir, name), (sink) => engine.render(layout.id, rs, sink, { fieldMap: true, name }));
    } finally {
      await engine.close();
    }
    const bin = fileURLToPath(new URL('../bin/shikaku-print.js', import.meta.url));
    const report = join(dir, 'report');
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [bin, 'diff', join(dir, 'reference.pdf'), join(dir, 'candidate.pdf'), '--report', report, '--quiet'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const sampler = new ProcessSampler(() => child.pid, false);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    const secs = (performance.now() - t0) / 1000;
    sampler.stop();
    const pages = n * layout.sides.length * 2;
    const figures = {
      mode: 'diff',
      layout: layout.id,
      records: n,
      pages,
      seconds: Math.round(secs * 100) / 100,
      recordsPerSecond: Math.round((n / secs) * 10) / 10,
      pagesPerSecond: Math.round((pages / secs) * 10) / 10,
      peakRssMiB: Math.round(sampler.peakKiB / 1024),
      peakPssMiB: Math.round(sampler.peakPssKiB / 1024),
      reportMiB: Math.round((treeBytes(report) / 2 ** 20) * 10) / 10,
      exitCode: code,
      verdict: out.trim().split('\n').at(-1) ?? '',
    };
    if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else
      process.stdout.write(
        [
          `command           shikaku-print diff (${layout.id}: ${n} records against the same with 3 changed)`,
          `pages compared    ${pages} (${n * layout.sides.length} in each proof)`,
          `wall time         ${secs.toFixed(1)} s (process start to exit), ${figures.pagesPerSecond} pages/s`,
          `peak memory       ${figures.peakRssMiB} MiB resident (node and every mutool, summed), ${figures.peakPssMiB} MiB PSS`,
          `report            ${figures.reportMiB} MiB`,
          `exit ${code}: ${figures.verdict}`,
        ].join('\n') + '\n',
      );
    return code === 1 ? EXIT.ok : EXIT.failure;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
