import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordsFile, UnreadableRecord, verifyScans, type ManifestEnvelope, type ScanReport } from '../engine/index.ts';
import { requireOption, stringOption } from './options.ts';
import { existingFile, writableOutput } from './paths.ts';
import { EXIT, UsageError } from './report.ts';

/**
 * `mailing verify --manifest M --scans FILE [--report DIR]` (docs/spec/interfaces.md, Mailing): what the
 * inserting line read, against the run's manifest. Exit 0 when every envelope is complete and in order, 1
 * otherwise; DIR gets report.json and report.html. The report names envelopes and sheets, never a record's data.
 */
export async function mailingCommand(values: Record<string, unknown>, operands: string[]): Promise<number> {
  const [action] = operands;
  if (action !== 'verify') throw new UsageError(`mailing ${action ?? ''}: the action is verify (mailing verify --manifest M --scans FILE)`);
  const manifestPath = requireOption(values, 'manifest');
  const scansPath = requireOption(values, 'scans');
  const reportDir = stringOption(values, 'report');
  const reprint = stringOption(values, 'reprint');
  const data = stringOption(values, 'data');
  if (reprint !== undefined && data === undefined)
    throw new UsageError("--reprint writes the records of the envelopes to print again: give the run's records with --data");
  existingFile('--manifest', manifestPath);
  existingFile('--scans', scansPath);
  if (data !== undefined) existingFile('--data', data);
  if (reportDir !== undefined) writableOutput('--report', reportDir, 'folder');
  if (reprint !== undefined) writableOutput('--reprint', reprint, 'file');
  const envelopes = manifestEnvelopes(manifestPath);
  const report = verifyScans(envelopes, readFileSync(scansPath, 'utf8').split(/\r?\n/));
  if (reportDir !== undefined) {
    mkdirSync(reportDir, { recursive: true });
    writeFileSync(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(reportDir, 'report.html'), reportHtml(report));
  }
  if (reprint !== undefined && data !== undefined) await writeReprint(reprint, data, envelopes, report);
  const { envelopes: n, complete, problems } = report.summary;
  process.stdout.write(`${complete} of ${n} envelopes complete, ${problems} problem${problems === 1 ? '' : 's'}\n`);
  for (const p of report.problems)
    process.stdout.write(`envelope ${p.envelope}: ${p.kind}${p.sheet === undefined ? '' : ` (sheet ${p.sheet})`}\n`);
  return problems === 0 ? EXIT.ok : EXIT.failure;
}

/**
 * The records of the envelopes with problems, each with its `envelopeCode` (RUN.ENVELOPE), as a record file
 * that `render --mail` prints again with the same matching codes. Written aside and renamed into place.
 */
async function writeReprint(path: string, data: string, envelopes: readonly ManifestEnvelope[], report: ScanReport): Promise<void> {
  const raws = await readRecordsFile(data);
  const bad = new Set(report.problems.map((p) => p.envelope));
  const out: Record<string, unknown>[] = [];
  for (const e of envelopes) {
    if (!bad.has(e.envelope)) continue;
    const [run] = (e.codes[0] ?? '').split('.');
    for (const r of e.records) {
      const raw = raws[r - 1];
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof UnreadableRecord)
        throw new UsageError(
          `--data ${data}: record ${r} of envelope ${e.envelope} is not in it as a record: is it the run's records file?`,
        );
      out.push({ ...(raw as Record<string, unknown>), envelopeCode: `${run}.${String(e.envelope).padStart(6, '0')}` });
    }
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(out, null, 1)}\n`);
  renameSync(tmp, path);
  process.stdout.write(`wrote ${path}: ${out.length} records of ${bad.size} envelopes to print again (render --mail … --data ${path})\n`);
}

/** The envelopes of a mailing run's manifest; a manifest of another run is refused, saying so. */
function manifestEnvelopes(path: string): ManifestEnvelope[] {
  let manifest: { envelopes?: ManifestEnvelope[] };
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as typeof manifest;
  } catch (err) {
    throw new UsageError(`--manifest ${path}: not a manifest (${(err as Error).message})`);
  }
  const envelopes = manifest.envelopes;
  if (!Array.isArray(envelopes) || envelopes.some((e) => !Array.isArray(e.codes)))
    throw new UsageError(`--manifest ${path}: no envelopes with matching codes: is it the manifest of a mailing run (render --mail)?`);
  return envelopes;
}

const KIND = {
  'missing-sheet': '用紙が足りない',
  'foreign-sheet': '他の封筒の用紙が混入',
  'duplicate-sheet': '同じ用紙が二重',
  'out-of-order': '用紙の順番違い',
  'not-seen': '封筒が通っていない',
} as const;

/** The report as a page a print shop's operator reads at the line. */
function reportHtml(report: ScanReport): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
  const rows = report.problems
    .map(
      (p) =>
        `<tr><td>${p.envelope}</td><td>${KIND[p.kind]} (${p.kind})</td><td>${p.sheet === undefined ? '' : esc(String(p.sheet))}</td></tr>`,
    )
    .join('\n');
  const { envelopes, complete, problems } = report.summary;
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>封入照合 ${problems === 0 ? 'OK' : 'NG'}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .8em;text-align:left}.ok{color:#060}.ng{color:#b00}</style></head>
<body><h1 class="${problems === 0 ? 'ok' : 'ng'}">封入照合: ${problems === 0 ? 'すべての封筒がそろっています' : `${problems} 件の問題`}</h1>
<p>封筒 ${envelopes} 通のうち ${complete} 通が完全です。</p>
${problems === 0 ? '' : `<table><tr><th>封筒</th><th>問題</th><th>用紙</th></tr>\n${rows}\n</table>`}
</body></html>
`;
}
