// The command line, run in this process (main() of cli/main.ts): commands, options, help, version, exit
// statuses and what is printed, up to the point where a command would start Chromium. Rendering through
// the command line is in cli-render.test.ts; the real binary, a terminal and bench in cli-process.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from './helpers/main-in-process.ts';
import { Progress } from '../cli/progress.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-'));

describe('shikaku-print CLI', () => {
  it('lists the layouts with page size and sides', async () => {
    const { code, stdout } = await runMain('layouts');
    expect(code).toBe(0);
    expect(stdout).toMatch(/kokuho-card\s+85\.6 × 53\.98 mm\s+front, back/);
    expect(stdout).toMatch(/kokuho-notice\s+210 × 297 mm\s+page/);
    expect(stdout).toMatch(/kenpo-notice-card\s+85\.6 × 53\.98 mm\s+front, back/);
    for (const id of ['kouki-card', 'kenpo-card', 'kenpo-notice']) expect(stdout).toContain(id);
    const json = JSON.parse((await runMain('layouts', '--json')).stdout) as { id: string; sides: string[] }[];
    expect(json.find((l) => l.id === 'kokuho-card')?.sides).toEqual(['front', 'back']);
  });

  it('exits 2 on bad records, naming each record and field, and writes nothing', async () => {
    const records = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, unknown>[];
    records[1]!.birthDate = '1954-02-30';
    records[2]!.branch = '7';
    const data = join(dir, 'bad.json');
    writeFileSync(data, JSON.stringify(records));
    const out = join(dir, 'bad.pdf');
    const { code, stderr } = await runMain('render', '--layout', 'kokuho-card', '--data', data, '--out', out);
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
    const unknown = await runMain('render', '--layout', 'nope', '--data', SAMPLES, '--out', join(dir, 'x.pdf'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown layout "nope"; layouts: kenpo-card, kenpo-employer-mailer, kenpo-mailer, kenpo-notice, kenpo-notice-card, kokuho-card, kokuho-mailer, kokuho-notice, kouki-card, kouki-mailer, kouki-notice',
    );
    const missing = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out is required');
  });

  it('starts the Chromium that CHROME_PATH names, and says so when there is none', async () => {
    const out = join(dir, 'no-chromium.pdf');
    vi.stubEnv('CHROME_PATH', '/nonexistent/chromium');
    const run = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out).finally(() => vi.unstubAllEnvs());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Chromium not found at /nonexistent/chromium');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 for a data file that is not valid JSON', async () => {
    const data = join(dir, 'broken.json');
    writeFileSync(data, '[{"name": "山田"');
    const { code, stderr } = await runMain('render', '--layout', 'kokuho-card', '--data', data, '--out', join(dir, 'y.pdf'));
    expect(code).toBe(2);
    expect(stderr).toContain('broken.json ends before its array of records is closed with ]');
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
      const r = await runMain(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('lists the commands on stdout with exit 2 when none is given, and with exit 0 for --help', async () => {
    const none = await runMain();
    expect(none.code).toBe(2);
    for (const name of Object.keys(OPTIONS)) expect(none.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const help = await runMain('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(none.stdout.trim());
    expect(help.stdout).toMatch(/^ {2}--debug {2,}\S/m);
  });

  it.each(Object.entries(OPTIONS))('explains %s with --help: every option on a line with what it is for', async (name, options) => {
    const r = await runMain(name, '--help');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: shikaku-print ${name} `));
    for (const option of options) expect(r.stdout).toMatch(new RegExp(`^ {2}${option}\\b[^\\n]*? {2,}\\S`, 'm'));
  });

  it('answers `help COMMAND` as `COMMAND --help`', async () => {
    const help = await runMain('help', 'diff');
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await runMain('diff', '--help')).stdout);
  });

  it('refuses an unknown option with exit 2: one line naming it, then the usage line, no stack trace', async () => {
    const r = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'u.pdf'), '--formt', 'png');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "shikaku-print: unknown option '--formt' (Did you mean --format?)\n" +
        'usage: shikaku-print render --layout ID --data FILE --out PATH [options]; shikaku-print render --help lists the options\n',
    );
    expect(existsSync(join(dir, 'u.pdf'))).toBe(false);
  });

  it('refuses an unknown command and a value out of the choices with exit 2 and no stack trace', async () => {
    const command = await runMain('rendr');
    expect(command.code).toBe(2);
    expect(command.stderr.split('\n')[0]).toBe("shikaku-print: unknown command 'rendr' (Did you mean render?)");
    const value = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', join(dir, 'v.pdf'), '--format', 'jpg');
    expect(value.code).toBe(2);
    expect(value.stderr).toMatch(
      /^shikaku-print: option '--format <format>' argument 'jpg' is invalid\. Allowed choices are pdf, png\.\nusage: /,
    );
    for (const r of [command, value]) expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses an output folder that does not exist before rendering anything: exit 2, one line, nothing written', async () => {
    const out = join(dir, 'no-such-folder', 'x.pdf');
    const r = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shikaku-print: --out ${out}: the folder ${join(dir, 'no-such-folder')} does not exist\n`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('refuses a records file or a layouts folder that does not exist: exit 2, one line naming the option', async () => {
    const data = await runMain('render', '--layout', 'kokuho-card', '--data', join(dir, 'nope.csv'), '--out', join(dir, 'n.pdf'));
    expect(data.code).toBe(2);
    expect(data.stderr).toBe(`shikaku-print: --data ${join(dir, 'nope.csv')} does not exist\n`);
    const layouts = await runMain('golden', '--layouts', join(dir, 'nowhere'), '--report', join(dir, 'golden-report'));
    expect(layouts.code).toBe(2);
    expect(layouts.stderr).toBe(`shikaku-print: --layouts ${join(dir, 'nowhere')} does not exist\n`);
  });

  it('says an unexpected failure in one line with exit 1, and shows where it happened only with --debug', async () => {
    // A folder cannot be made under /dev/null: a failure no check foresees (ENOTDIR from mkdir).
    const plain = await runMain('fields', '--out', '/dev/null/docs');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      "shikaku-print: unexpected failure: ENOTDIR: not a directory, mkdir '/dev/null/docs/samples' (--debug shows where)\n",
    );
    const debug = await runMain('--debug', 'fields', '--out', '/dev/null/docs');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(STACK_FRAME);
    expect(debug.stderr).toMatch(/fieldsCommand \(.*cli\/fields-command\.ts:\d+/);
  });
});

describe('progress of a render', () => {
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
