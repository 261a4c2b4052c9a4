import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  loadEngineInsurers,
  loadLayouts,
  readRecordsFile,
  returnedPieces,
  UnreadableRecord,
  verifyScans,
  writeReceiptList,
  type Manifest,
  type ReturnableEnvelope,
  type ScanReport,
} from '../engine/index.ts';
import { requireOption, stringOption } from './options.ts';
import { existingFile, existingFolder, writableOutput } from './paths.ts';
import { EXIT, UsageError } from './report.ts';

/**
 * `mailing ACTION` (docs/spec/interfaces.md, Mailing): `verify` checks what the inserting line read against a
 * run's manifest, `receipts` writes a registered run's 差出票 / 受領証, `returns` the records of the pieces that
 * came back. Each names envelopes, sheets and numbers on stdout, never a record's name or address.
 */
export async function mailingCommand(values: Record<string, unknown>, operands: string[]): Promise<number> {
  const [action] = operands;
  if (action === 'verify') return verify(values);
  if (action === 'receipts') return receipts(values);
  if (action === 'returns') return returns(values);
  throw new UsageError(
    `mailing ${action ?? ''}: the action is verify (--manifest M --scans FILE), receipts (--manifest M --out FILE.pdf) or returns (--manifest M --numbers FILE --data FILE --out FILE)`,
  );
}

/**
 * `mailing verify --manifest M --scans FILE [--report DIR] [--reprint FILE --data FILE]`: exit 0 when every
 * envelope is complete and in order, 1 otherwise; DIR gets report.json and report.html.
 */
async function verify(values: Record<string, unknown>): Promise<number> {
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
 * `mailing receipts --manifest M --out FILE.pdf [--insurers DIR]`: the 差出票 / 受領証 of a registered run and
 * FILE.csv beside it, the sender from the insurer profile of the run's 保険者番号. Exit 2 for a manifest that is
 * not a registered run's, or an insurer without a profile (a list without its sender is not taken at the counter).
 */
async function receipts(values: Record<string, unknown>): Promise<number> {
  const manifestPath = requireOption(values, 'manifest');
  const out = requireOption(values, 'out');
  const insurersDir = stringOption(values, 'insurers');
  existingFile('--manifest', manifestPath);
  if (!/\.pdf$/i.test(out)) throw new UsageError(`--out ${out}: the receipt list is a PDF, FILE.pdf (FILE.csv is written beside it)`);
  writableOutput('--out', out, 'file');
  if (insurersDir !== undefined) existingFolder('--insurers', insurersDir);
  const manifest = readManifest(manifestPath);
  const insurers = await loadEngineInsurers(loadLayouts(), insurersDir);
  const { pieces, pages, csv } = await writeReceiptList(manifest, insurers, out);
  process.stdout.write(`wrote ${out} and ${csv}: ${pieces} pieces on ${pages} page${pages === 1 ? '' : 's'}\n`);
  return EXIT.ok;
}

/**
 * `mailing returns --manifest M --numbers FILE --data FILE --out FILE`: the records of the pieces that came
 * back, as a record file for the next run (without envelopeCode and registeredNumber: a new piece). A line that
 * names no piece of the run is named by its number; the file is written for the others, and the exit is 1.
 */
async function returns(values: Record<string, unknown>): Promise<number> {
  const manifestPath = requireOption(values, 'manifest');
  const numbersPath = requireOption(values, 'numbers');
  const data = requireOption(values, 'data');
  const out = requireOption(values, 'out');
  existingFile('--manifest', manifestPath);
  existingFile('--numbers', numbersPath);
  existingFile('--data', data);
  writableOutput('--out', out, 'file');
  const returned = returnedPieces(manifestEnvelopes(manifestPath), readFileSync(numbersPath, 'utf8').split(/\r?\n/));
  const raws = await readRecordsFile(data);
  const records = returned.envelopes.flatMap((e) =>
    e.records.map((r) => {
      const { envelopeCode: _code, registeredNumber: _number, ...record } = recordOf(raws, r, e.envelope, data);
      return record;
    }),
  );
  writeAside(out, `${JSON.stringify(records, null, 1)}\n`);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const { pieces, envelopes, unknown } = returned;
  say(`${pieces} returned piece${pieces === 1 ? '' : 's'}: ${envelopes.length} envelopes, ${records.length} records`);
  for (const e of envelopes) say(`envelope ${e.envelope} (${e.registeredNumber ?? envelopeCode(e)}): records ${e.records.join(', ')}`);
  // The line as read only when it is a number or a code: the file is the operator's, and may hold anything.
  for (const u of unknown) say(`line ${u.line}: ${/^[A-Z0-9.-]{1,40}$/.test(u.text) ? `${u.text}: ` : ''}${u.reason}`);
  return unknown.length === 0 ? EXIT.ok : EXIT.failure;
}

/**
 * The records of the envelopes with problems, each with its `envelopeCode` (RUN.ENVELOPE) and, in a registered
 * run, its envelope's `registeredNumber`, as a record file that `render --mail` prints again with the same
 * matching codes and numbers. Written aside and renamed into place.
 */
async function writeReprint(path: string, data: string, envelopes: readonly ReturnableEnvelope[], report: ScanReport): Promise<void> {
  const raws = await readRecordsFile(data);
  const bad = new Set(report.problems.map((p) => p.envelope));
  const out: Record<string, unknown>[] = [];
  for (const e of envelopes) {
    if (!bad.has(e.envelope)) continue;
    for (const r of e.records)
      out.push({
        ...recordOf(raws, r, e.envelope, data),
        envelopeCode: envelopeCode(e),
        ...(e.registeredNumber !== undefined ? { registeredNumber: e.registeredNumber } : {}),
      });
  }
  writeAside(path, `${JSON.stringify(out, null, 1)}\n`);
  process.stdout.write(`wrote ${path}: ${out.length} records of ${bad.size} envelopes to print again (render --mail … --data ${path})\n`);
}

/** Record `r` (1-based) of the run's records as read from `data`; one that is not there as a record is refused. */
function recordOf(raws: readonly unknown[], r: number, envelope: number, data: string): Record<string, unknown> {
  const raw = raws[r - 1];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof UnreadableRecord)
    throw new UsageError(`--data ${data}: record ${r} of envelope ${envelope} is not in it as a record: is it the run's records file?`);
  return raw as Record<string, unknown>;
}

/** RUN.ENVELOPE: the envelope a reprint keeps. */
function envelopeCode(e: ReturnableEnvelope): string {
  const [run] = (e.codes[0] ?? '').split('.');
  return `${run}.${String(e.envelope).padStart(6, '0')}`;
}

/** Writes `text` beside `path` and renames it into place: a reader never sees half a file. */
function writeAside(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** A manifest as read from its file; one that is no JSON object is refused, saying so. */
function readManifest(path: string): Manifest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--manifest ${path}: not a manifest (${(err as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new UsageError(`--manifest ${path}: not a manifest`);
  return manifest as Manifest;
}

/** The envelopes of a mailing run's manifest; a manifest of another run is refused, saying so. */
function manifestEnvelopes(path: string): ReturnableEnvelope[] {
  const envelopes = readManifest(path).envelopes as unknown;
  if (!Array.isArray(envelopes) || envelopes.some((e: { codes?: unknown }) => !Array.isArray(e.codes)))
    throw new UsageError(`--manifest ${path}: no envelopes with matching codes: is it the manifest of a mailing run (render --mail)?`);
  return envelopes as ReturnableEnvelope[];
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
