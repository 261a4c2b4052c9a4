import { startEngine } from './start-engine.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
 * The candidate of `bench --diff` (issue 28's run): `records` with one record inserted as the last of the
 * chunk a quarter of the way in (every later record moves one place, across every chunk boundary up to the
 * removal), the record at 80 % removed, and the 氏名 of the record at 60 % changed. Answers the candidate
 * and what a correct diff reports of it.
 */
export function diffCandidate(records: readonly Record<string, unknown>[]): {
  candidate: Record<string, unknown>[];
  expected: { same: number; changed: number; added: number; removed: number };
} {
  const n = records.length;
  const candidate = records.map((r, i) => (i === Math.floor(n * 0.6) ? { ...r, name: '岡本 三四郎' } : r));
  candidate.splice(Math.floor(n * 0.8), 1);
  const at = Math.min(candidate.length, Math.floor(n / 400) * 100 + 99);
  candidate.splice(at, 0, { ...records[0], number: '9999999', name: '新井 一' });
  return { candidate, expected: { same: n - 2, changed: 1, added: 1, removed: 1 } };
}

/**
 * `bench --diff`: a run of `records` cards against the same run with one record inserted, one removed and
 * one 氏名 changed (diffCandidate), diffed as QA runs it: `shikaku-print diff` in a child process, timed
 * from its start to its exit, with the peak memory of it and every process it starts (mutool). The two
 * proofs are rendered first, untimed. Prints figures, with what the diff reported beside what it should
 * (the summary of issue 28's Done-when) and how its pages were settled; asserts nothing.
 */
export async function benchDiff(layout: Layout, records: Record<string, unknown>[], json: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-bench-diff-'));
  try {
    const n = records.length;
    const { candidate, expected } = diffCandidate(records);
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
    const pages = (n + candidate.length) * layout.sides.length;
    const written = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as { summary: typeof expected; notes?: string[] };
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
      reported: written.summary,
      expected,
      pagesCompared: out.trim().split('\n').at(-2) ?? '',
      exitCode: code,
      verdict: out.trim().split('\n').at(-1) ?? '',
    };
    if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else
      process.stdout.write(
        [
          `command           shikaku-print diff (${layout.id}: ${n} records against the same with one inserted, one removed, one 氏名 changed)`,
          `pages             ${pages} (${n * layout.sides.length} and ${candidate.length * layout.sides.length}): ${figures.pagesCompared}`,
          `wall time         ${secs.toFixed(1)} s (process start to exit), ${figures.pagesPerSecond} pages/s`,
          `peak memory       ${figures.peakRssMiB} MiB resident (node and every mutool, summed), ${figures.peakPssMiB} MiB PSS`,
          `report            ${figures.reportMiB} MiB`,
          `reported          ${summaryText(written.summary)}`,
          `expected          ${summaryText(expected)}`,
          `exit ${code}: ${figures.verdict}`,
        ].join('\n') + '\n',
      );
    return code === 1 ? EXIT.ok : EXIT.failure;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const summaryText = (s: { same: number; changed: number; added: number; removed: number }) =>
  `${s.same} same, ${s.changed} changed, ${s.added} added, ${s.removed} removed`;
