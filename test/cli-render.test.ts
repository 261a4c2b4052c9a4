// Rendering through the command line, in this process (main() of cli/main.ts): each render starts its
// Chromium as the command does, and its files, manifest, exit status and progress lines are checked.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../engine/index.ts';
import { runMain } from './helpers/main-in-process.ts';
import { pageCount } from './helpers/poppler.ts';

const SAMPLES = new URL('../layouts/kokuho-card/samples.json', import.meta.url).pathname;
const SJIS_CSV = new URL('./fixtures/records-sjis.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-render-'));

describe('shikaku-print render', () => {
  it('renders a Shift_JIS CSV to one PNG per page named NNNN-P.png', async () => {
    const out = join(dir, 'png');
    const { code, stderr } = await runMain(
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
});

describe('every layout through the CLI', () => {
  it.each(['kouki-card', 'kenpo-card', 'kokuho-notice', 'kenpo-notice'])('renders %s from its samples as PDF and as PNG', async (id) => {
    const data = new URL(`../layouts/${id}/samples.json`, import.meta.url).pathname;
    const records = JSON.parse(readFileSync(data, 'utf8')) as unknown[];
    const sides = id.endsWith('card') ? 2 : 1;
    const pdf = join(dir, `${id}.pdf`);
    const r1 = await runMain('render', '--layout', id, '--data', data, '--out', pdf);
    expect(r1.code, r1.stderr).toBe(0);
    expect(pageCount(pdf)).toBe(records.length * sides);
    const png = join(dir, `${id}-png`);
    const r2 = await runMain('render', '--layout', id, '--data', data, '--out', png, '--format', 'png', '--dpi', '100');
    expect(r2.code, r2.stderr).toBe(0);
    expect(readdirSync(png)).toHaveLength(records.length * sides);
  });
});

describe('progress of a render', () => {
  it('writes plain lines through every stage when stderr is no terminal, PNG pages included; --quiet writes none', async () => {
    const out = join(dir, 'progress-png');
    const r = await runMain('render', '--layout', 'kokuho-card', '--data', SAMPLES, '--out', out, '--format', 'png', '--dpi', '100');
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

    const quiet = await runMain(
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
});
