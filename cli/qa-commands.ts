import { startEngine } from './start-engine.ts';
import { resolve } from 'node:path';
import { getLayout, loadLayouts, LAYOUTS_DIR, SAMPLE_INSURERS_DIR } from '../engine/index.ts';
import {
  checkGoldens,
  diffProofs,
  pagesNote,
  parseMask,
  writeReport,
  RunReport,
  GOLDEN_DIR,
  RECEIPT_LIST_GOLDEN,
  type Report,
} from '../qa/index.ts';
import { inCi } from '../config/env.ts';
import { intOption, stringOption } from './options.ts';
import { existingFolder } from './paths.ts';
import { Progress, progressMode, type Stage } from './progress.ts';
import { EXIT, OptionError, UsageError } from './report.ts';

/** Prints a check's outcome: its notes, every page that is not the same, and where the report is. */
function printReport(report: Report, html: string): void {
  for (const n of report.notes) process.stdout.write(`${n}\n`);
  for (const p of report.pages.filter((pg) => pg.status !== 'same')) {
    const where = p.regionMm
      ? ` at x ${p.regionMm.x.toFixed(1)} mm, y ${p.regionMm.y.toFixed(1)} mm (${p.regionMm.width.toFixed(1)} × ${p.regionMm.height.toFixed(1)} mm)`
      : '';
    const was = p.status === 'written' ? ` (was ${p.previous})` : '';
    process.stdout.write(`${p.status.toUpperCase()} ${p.title}${was}${p.diffPixels ? `: ${p.diffPixels} differing pixels${where}` : ''}\n`);
    for (const n of p.notes) process.stdout.write(`  ${n}\n`);
  }
  process.stdout.write(`${report.ok ? 'ok' : 'FAILED'}: report ${html}\n`);
}

const UPDATE_MODES = ['missing', 'changed', 'all'] as const;

/**
 * `golden`: checks every layout's golden cases (exit 1 on any difference); `--update[=missing|changed|all]`
 * writes them, and the report shows the old, the new and their difference for every page it wrote.
 */
export async function goldenCommand(values: Record<string, unknown>): Promise<number> {
  const layoutsDir = resolve(stringOption(values, 'layouts') ?? LAYOUTS_DIR);
  const goldenDir = resolve(stringOption(values, 'goldens') ?? GOLDEN_DIR);
  existingFolder('--layouts', layoutsDir);
  // The receipt lists' cases go by their folder's name, beside the layouts'.
  const layout =
    typeof values.layout !== 'string'
      ? undefined
      : values.layout === RECEIPT_LIST_GOLDEN
        ? values.layout
        : getLayout(loadLayouts(layoutsDir), values.layout).id;
  const ci = inCi();
  const update = values.update === undefined ? false : UPDATE_MODES.find((m) => m === values.update);
  if (update === undefined) throw new OptionError(`--update takes missing, changed or all, not "${String(values.update)}"`);
  if (update && ci) throw new UsageError('refusing `golden --update` under CI: goldens change only when a person updates them');
  const reportDir = resolve(String(values.report));
  RunReport.check(reportDir); // a folder that holds anything but an earlier report: exit 2, before any work
  // Goldens show the sample insurers' seals and contacts, from wherever the check is run.
  const engine = await startEngine({ insurersDir: SAMPLE_INSURERS_DIR, layoutsDir });
  try {
    const report = await checkGoldens(engine, { goldenDir, update, ci, ...(layout ? { layout } : {}) });
    printReport(report, await writeReport(reportDir, report));
    return report.ok ? EXIT.ok : EXIT.failure;
  } finally {
    await engine.close();
  }
}

/**
 * `diff REFERENCE CANDIDATE`: compares two proofs, record by record when both have manifests; writes the
 * report; exit 0 when the same, 1 when not, 2 when an input cannot be used (one line, no stack trace).
 */
export async function diffCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 2) throw new OptionError(`diff needs two proofs, REFERENCE and CANDIDATE; received ${positionals.length}`);
  const dpi = intOption(values, 'dpi', 25, 1200) ?? 300;
  const masks = ((values.mask as string[] | undefined) ?? []).map((m) => {
    try {
      return parseMask(m);
    } catch (err) {
      throw new OptionError((err as Error).message);
    }
  });
  const manifests = values.manifest as string[] | undefined;
  if (manifests && manifests.length !== 2) throw new OptionError('--manifest names two manifests: --manifest REF_MANIFEST CAND_MANIFEST');
  const reportDir = resolve(String(values.report));
  RunReport.check(reportDir); // a folder that holds anything but an earlier report: exit 2, before any work
  // Progress on stderr as the batches are compared; the lines of what differs go to stdout around it.
  const progress = new Progress('diff', progressMode(values.quiet === true, inCi()));
  let comparing: Stage | undefined;
  const startedAt = Date.now();
  const onProgress = (done: number, total: number) => {
    // The total is known with the first batch compared; the rate counts from the start.
    comparing ??= progress.stage('comparing', total, { startedAt });
    comparing.update(done);
  };
  let outcome;
  try {
    outcome = await diffProofs(positionals[0] as string, positionals[1] as string, {
      dpi,
      masks,
      reportDir,
      manifests: manifests as [string, string] | undefined,
      concurrency: intOption(values, 'jobs', 1, 64),
      onProgress,
      onLine: (line) => progress.around(() => process.stdout.write(`${line}\n`)),
    });
  } finally {
    progress.end();
  }
  const { summary: s } = outcome;
  process.stdout.write(`${pagesNote(outcome.pages)}\n`);
  const differs = s.changed + s.added + s.removed > 0;
  process.stdout.write(
    `${differs ? 'DIFFERENT' : 'same'}: ${s.same} same, ${s.changed} changed, ${s.added} added, ${s.removed} removed (by ${outcome.aligned}); report ${outcome.index}\n`,
  );
  return differs ? EXIT.failure : EXIT.ok;
}
