import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliWith, cli, cliOnTerminal } from './helpers/cli.ts';
import type { Manifest } from '../engine/index.ts';
import { Progress } from '../cli/progress.ts';
import { pageCount } from './helpers/poppler.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const SJIS_CSV = new URL('./fixtures/records-sjis.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-'));

describe('shikaku-print CLI', () => {
  it('lists the layouts with page size and sides', async () => {
    const { code, stdout } = await cli('layouts');
    expect(code).toBe(0);
    expect(stdout).toMatch(/kokuho-card\s+85\.6 × 53\.98 mm\s+front, back/);
    expect(stdout).toMatch(/kokuho-notice\s+210 × 297 mm\s+page/);
    expect(stdout).toMatch(/kenpo-notice-card\s+85\.6 × 53\.98 mm\s+front, back/);
    for (const id of ['kouki-card', 'kenpo-card', 'kenpo-notice']) expect(stdout).toContain(id);
    const json = JSON.parse((await cli('layouts', '--json')).stdout) as { id: string; sides: string[] }[];
    expect(json.find((l) => l.id === 'kokuho-card')?.sides).toEqual(['front', 'back']);
  });

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

  it('renders a Shift_JIS CSV to one PNG per page named NNNN-P.png', async () => {
    const out = join(dir, 'png');
    const { code, stderr } = await cli(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      SJIS_CSV,
      '--out',
      out,
      '--format',
      'png',
      '--dpi',
      '150',
    );
    expect(code, stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['0001-1.png', '0001-2.png', '0002-1.png', '0002-2.png']);
    const png = readFileSync(join(out, '0002-1.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([506, 319]); // 85.60 × 53.98 mm at 150 dpi
    expect((JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as Manifest).records[1]).toEqual({
      record: 2,
      key: '320036-出雲12-0034568-02',
      pages: [3, 4],
      files: ['0002-1.png', '0002-2.png'],
    });
  });

  it('exits 2 on bad records, naming each record and field, and writes nothing', async () => {
    const records = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, unknown>[];
    records[1]!.birthDate = '1954-02-30';
    records[2]!.branch = '7';
    const data = join(dir, 'bad.json');
    writeFileSync(data, JSON.stringify(records));
    const out = join(dir, 'bad.pdf');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', data, '--out', out);
    expect(code).toBe(2);
    expect(stderr).toContain('2 of 3 records are invalid (2 problems); nothing was printed');
    expect(stderr).toContain(
      'record 2 (記号 出雲12 番号 0034568): 生年月日 (birthDate): expected a calendar date YYYY-MM-DD, 1873-01-01 or later, received "1954-02-30"',
    );
    expect(stderr).toContain('record 3 (記号 出雲7 番号 0101010): 枝番 (branch): expected exactly 2 digits, 00 to 99, received "7"');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.manifest.json`)).toBe(false);
  });

  it('exits 2 for an unknown layout or a missing option, saying what is wrong', async () => {
    const unknown = await cli('render', '--layout', 'nope', '--data', SAMPLES, '--out', join(dir, 'x.pdf'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown layout "nope"; layouts: kenpo-card, kenpo-notice, kenpo-notice-card, kokuho-card, kokuho-notice, kouki-card, kouki-notice',
    );
    const missing = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out is required');
  });

  it('starts the Chromium that CHROME_PATH names, and says so when there is none', async () => {
    const out = join(dir, 'no-chromium.pdf');
    const run = await cliWith(
      { CHROME_PATH: '/nonexistent/chromium' },
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      SAMPLES,
      '--out',
      out,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Chromium not found at /nonexistent/chromium');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 for a data file that is not valid JSON', async () => {
    const data = join(dir, 'broken.json');
    writeFileSync(data, '[{"name": "山田"');
    const { code, stderr } = await cli('render', '--layout', 'kokuho-card', '--data', data, '--out', join(dir, 'y.pdf'));
    expect(code).toBe(2);
    expect(stderr).toContain('broken.json ends before its array of records is closed with ]');
  });
});

describe('every layout through the CLI', () => {
  it.each(['kouki-card', 'kenpo-card', 'kokuho-notice', 'kenpo-notice'])('renders %s from its samples as PDF and as PNG', async (id) => {
    const data = new URL(`../layouts/${id}/samples.json`, import.meta.url).pathname;
    const records = JSON.parse(readFileSync(data, 'utf8')) as unknown[];
    const sides = id.endsWith('card') ? 2 : 1;
    const pdf = join(dir, `${id}.pdf`);
    const r1 = await cli('render', '--layout', id, '--data', data, '--out', pdf);
    expect(r1.code, r1.stderr).toBe(0);
    expect(pageCount(pdf)).toBe(records.length * sides);
    const png = join(dir, `${id}-png`);
    const r2 = await cli('render', '--layout', id, '--data', data, '--out', png, '--format', 'png', '--dpi', '100');
    expect(r2.code, r2.stderr).toBe(0);
    expect(readdirSync(png)).toHaveLength(records.length * sides);
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

/** Every command of interfaces.md with each option its `--help` must list. */
const OPTIONS: Record<string, string[]> = {
  render: [
    '--layout',
    '--data',
    '--out',
    '--format',
    '--dpi',
    '--png',
    '--insurers',
    '--bleed',
    '--impose',
    '--duplex',
    '--order',
    '--color',
    '--icc',
    '--quiet',
  ],
  fields: ['--out'],
  layouts: ['--json'],
  bench: [
    '--layout',
    '--records',
    '--format',
    '--tabs',
    '--chunk',
    '--reference',
    '--profile',
    '--json',
    '--cli',
    '--http',
    '--clients',
    '--seconds',
    '--with-job',
    '--intake',
    '--mb',
    '--impose',
    '--diff',
  ],
  layout: ['--from', '--extend', '--layouts', '--goldens'],
  studio: ['--port', '--layouts', '--goldens', '--insurers'],
  golden: ['--update', '--layout', '--report', '--layouts', '--goldens'],
  diff: ['--report', '--manifest', '--dpi', '--mask', '--jobs', '--quiet'],
  serve: ['--port', '--host'],
};

/** A stack trace's frame line, which an operator must never see unless they ask with --debug. */
const STACK_FRAME = /^ {4}at /m;

describe('the command line', () => {
  it('prints the version of package.json with --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('lists the commands on stdout with exit 2 when none is given, and with exit 0 for --help', async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    for (const name of Object.keys(OPTIONS)) expect(none.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(none.stdout.trim());
    expect(help.stdout).toMatch(/^ {2}--debug {2,}\S/m);
  });

  it.each(Object.entries(OPTIONS))('explains %s with --help: every option on a line with what it is for', async (name, options) => {
    const r = await cli(name, '--help');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: shikaku-print ${name} `));
    for (const option of options) expect(r.stdout).toMatch(new RegExp(`^ {2}${option}\\b[^\\n]*? {2,}\\S`, 'm'));
  });

  it('answers `help COMMAND` as `COMMAND --help`', async () => {
    const help = await cli('help', 'diff');
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await cli('diff', '--help')).stdout);
  });

  it('refuses an unknown option with exit 2: one line naming it, then the usage line, no stack trace', async () => {
    const r = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'u.pdf'), '--formt', 'png');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "shikaku-print: unknown option '--formt' (Did you mean --format?)\n" +
        'usage: shikaku-print render --layout ID --data FILE --out PATH [options]; shikaku-print render --help lists the options\n',
    );
    expect(existsSync(join(dir, 'u.pdf'))).toBe(false);
  });

  it('refuses an unknown command and a value out of the choices with exit 2 and no stack trace', async () => {
    const command = await cli('rendr');
    expect(command.code).toBe(2);
    expect(command.stderr.split('\n')[0]).toBe("shikaku-print: unknown command 'rendr' (Did you mean render?)");
    const value = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'v.pdf'), '--format', 'jpg');
    expect(value.code).toBe(2);
    expect(value.stderr).toMatch(
      /^shikaku-print: option '--format <format>' argument 'jpg' is invalid\. Allowed choices are pdf, png\.\nusage: /,
    );
    for (const r of [command, value]) expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses an output folder that does not exist before rendering anything: exit 2, one line, nothing written', async () => {
    const out = join(dir, 'no-such-folder', 'x.pdf');
    const r = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shikaku-print: --out ${out}: the folder ${join(dir, 'no-such-folder')} does not exist\n`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('refuses a records file or a layouts folder that does not exist: exit 2, one line naming the option', async () => {
    const data = await cli('render', '--layout', 'kokuho-card', '--data', join(dir, 'nope.csv'), '--out', join(dir, 'n.pdf'));
    expect(data.code).toBe(2);
    expect(data.stderr).toBe(`shikaku-print: --data ${join(dir, 'nope.csv')} does not exist\n`);
    const layouts = await cli('golden', '--layouts', join(dir, 'nowhere'), '--report', join(dir, 'golden-report'));
    expect(layouts.code).toBe(2);
    expect(layouts.stderr).toBe(`shikaku-print: --layouts ${join(dir, 'nowhere')} does not exist\n`);
  });

  it('says an unexpected failure in one line with exit 1, and shows where it happened only with --debug', async () => {
    // A folder cannot be made under /dev/null: a failure no check foresees (ENOTDIR from mkdir).
    const plain = await cli('fields', '--out', '/dev/null/docs');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      "shikaku-print: unexpected failure: ENOTDIR: not a directory, mkdir '/dev/null/docs/samples' (--debug shows where)\n",
    );
    const debug = await cli('--debug', 'fields', '--out', '/dev/null/docs');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(STACK_FRAME);
    expect(debug.stderr).toMatch(/fieldsCommand \(.*cli\/fields-command\.ts:\d+/);
  });
});

describe('progress of a render', () => {
  it('writes plain lines through every stage when stderr is no terminal, PNG pages included; --quiet writes none', async () => {
    const out = join(dir, 'progress-png');
    const r = await cli('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out, '--format', 'png', '--dpi', '100');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    for (const stage of [
      /^render: reading samples\.json [\d.]+ KiB\/[\d.]+ KiB \(100%\) in [\d.]+ s, /,
      /^render: checking 3\/3 records \(100%\) in /,
    ]) {
      expect(lines).toContainEqual(expect.stringMatching(stage));
    }
    expect(lines).toContainEqual(expect.stringMatching(/^render: rendering 3\/3 records \(100%\) in [\d.]+ s, [\d.]+ records\/s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^render: drawing PNG 6\/6 pages \(100%\) in [\d.]+ s, [\d.]+ pages\/s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^render: finishing PNG 6\/6 pages \(100%\) in /));
    expect(lines.at(-1)).toMatch(/^wrote .*progress-png: 3 records, 6 pages \(kokuho-card, png\)/);
    expect(r.stderr).not.toContain('\x1b');

    const quiet = await cli(
      'render',
      '--layout',
      'kokuho-card',
      '--data',
      SAMPLES,
      '--out',
      out,
      '--format',
      'png',
      '--dpi',
      '100',
      '--quiet',
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(readdirSync(out)).toHaveLength(6);
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

  it('writes a line at each tenth of a stage, and one when it completes', () => {
    let text = '';
    const stream = { write: (s: string) => (text += s) } as unknown as NodeJS.WritableStream;
    let now = 0;
    const progress = new Progress('render', 'lines', { stream, now: () => now });
    const stage = progress.stage('rendering', 1000, { unit: 'records' });
    for (let done = 1; done <= 1000; done++) {
      now += 10;
      stage.update(done);
    }
    progress.end();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('render: rendering 100/1000 records (10%), 100.0 records/s, about 9.0 s left');
    expect(lines[9]).toBe('render: rendering 1000/1000 records (100%) in 10 s, 100.0 records/s');
  });

  it('writes a line every few seconds while a stage is stalled', async () => {
    let text = '';
    const stream = { write: (s: string) => (text += s) } as unknown as NodeJS.WritableStream;
    const progress = new Progress('render', 'lines', { stream, lineEveryMs: 40 });
    progress.stage('rendering', 3, { unit: 'records' });
    await new Promise((r) => setTimeout(r, 150));
    progress.end();
    expect(text).toMatch(/^render: rendering 0\/3 records \(0%\), [\d.]+ s so far\n/);
  });
});
