// The shikaku-print binary as an operator runs it, each run a node process of its own: a render end to end
// with the exit status of the real binary, the progress bar on a terminal, and bench. Everything else of
// the command line runs in process (cli.test.ts, cli-render.test.ts).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliOnTerminal } from './helpers/cli.ts';
import type { Manifest } from '../engine/index.ts';
import { pageCount } from './helpers/poppler.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-process-'));

describe('the shikaku-print binary', () => {
  it('renders a PDF with a manifest giving each record its pages', async () => {
    const out = join(dir, 'cards.pdf');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out);
    expect(code, stderr).toBe(0);
    expect(pageCount(out)).toBe(6);
    const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ layout: 'kokuho-card', format: 'pdf', pageCount: 6 });
    expect(manifest.records).toEqual([
      { record: 1, key: '320036-出雲12-0034567-01', pages: [1, 2] },
      { record: 2, key: '320036-出雲12-0034568-02', pages: [3, 4] },
      { record: 3, key: '320036-出雲7-0101010-00', pages: [5, 6] },
    ]);
    // Where each fixed box is on each side, for the proof diff: here 氏名 on the front.
    expect(manifest.fieldMap?.[0]?.fields).toContainEqual({ field: 'name', label: '氏名', boxMm: [[10.5, 18, 48.5, 3.8]] });
  });

  it('draws a bar with the rate and the time left on a terminal, and plain lines there when CI is set', async () => {
    const args = ['render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'terminal.pdf')];
    const terminal = await cliOnTerminal(args);
    expect(terminal.code, terminal.stdout).toBe(0);
    expect(terminal.stdout).toMatch(/\[1Grendering \[░{10,30}\] 0% 0\/3 records \| 0\.0 records\/s \| ETA --/);
    expect(terminal.stdout).toMatch(/rendering \[█{10,30}\] 100% 3\/3 records \| [\d.]+ records\/s \| in [\d.]+ s/);
    const ci = await cliOnTerminal(args, { CI: 'true' });
    expect(ci.code, ci.stdout).toBe(0);
    expect(ci.stdout).toMatch(/^render: rendering 3\/3 records \(100%\) in /m);
    expect(ci.stdout).not.toContain('█');
  });

  it("bench --json --reference prints one JSON object of figures, and bench --http --clients N --json the service's", async () => {
    const engine = await cli('bench', '--records', '12', '--json', '--reference');
    expect(engine.code).toBe(0);
    const figures = JSON.parse(engine.stdout) as Record<string, unknown>;
    expect(Object.keys(figures).sort()).toEqual([
      'bytesPerRecord',
      'layout',
      'pages',
      'pdfBytes',
      'peakPssMiB',
      'peakRssMiB',
      'ratio',
      'records',
      'recordsPerSecond',
      'referenceRecordsPerSecond',
      'seconds',
    ]);
    expect(figures).toMatchObject({ layout: 'kokuho-card', records: 12, pages: 24 });
    // engine ÷ reference: the reference's own rate divided into the engine's, both measured in this run
    expect(figures.ratio).toBeCloseTo((figures.recordsPerSecond as number) / (figures.referenceRecordsPerSecond as number), 1);
    expect(figures.pdfBytes).toBeGreaterThan(10_000);
    expect(figures.peakRssMiB).toBeGreaterThan(100); // node and Chromium together
    const http = await cli('bench', '--http', '--clients', '2', '--seconds', '1', '--json');
    expect(http.code).toBe(0);
    const load = JSON.parse(http.stdout) as { requestsPerSecond: number; p50Ms: number; p99Ms: number; status: Record<string, number> };
    expect(load.requestsPerSecond).toBeGreaterThan(0);
    expect(load.p99Ms).toBeGreaterThanOrEqual(load.p50Ms);
    expect(load.status['200']).toBeGreaterThan(0);
  });
});
