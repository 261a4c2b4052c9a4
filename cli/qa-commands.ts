import { resolve } from 'node:path';
import { Engine, getLayout, loadLayouts, LAYOUTS_DIR, SAMPLE_INSURERS_DIR } from '../engine/index.ts';
import { checkGoldens, diffProofs, parseMask, writeReport, GOLDEN_DIR, type Report } from '../qa/index.ts';
import { intOption } from './options.ts';
import { EXIT, UsageError } from './report.ts';

/** Prints a check's outcome: its notes, every page that is not the same, and where the report is. */
function printReport(report: Report, html: string): void {
  for (const n of report.notes) process.stdout.write(`${n}\n`);
  for (const p of report.pages.filter((pg) => pg.status !== 'same')) {
    const where = p.regionMm
      ? ` at x ${p.regionMm.x.toFixed(1)} mm, y ${p.regionMm.y.toFixed(1)} mm (${p.regionMm.width.toFixed(1)} × ${p.regionMm.height.toFixed(1)} mm)`
      : '';
    process.stdout.write(`${p.status.toUpperCase()} ${p.title}${p.diffPixels ? `: ${p.diffPixels} differing pixels${where}` : ''}\n`);
    for (const n of p.notes) process.stdout.write(`  ${n}\n`);
  }
  process.stdout.write(`${report.ok ? 'ok' : 'FAILED'}: report ${html}\n`);
}

/** `golden`: checks every layout's golden cases (exit 1 on any difference); `--update` rewrites them. */
export async function goldenCommand(values: Record<string, unknown>): Promise<number> {
  const layoutsDir = typeof values.layouts === 'string' ? resolve(values.layouts) : LAYOUTS_DIR;
  const goldenDir = typeof values.goldens === 'string' ? resolve(values.goldens) : GOLDEN_DIR;
  const layout = typeof values.layout === 'string' ? getLayout(loadLayouts(layoutsDir), values.layout).id : undefined;
  const ci = process.env.CI === 'true';
  if (values.update === true && ci)
    throw new UsageError('refusing `golden --update` under CI: goldens change only when a person updates them');
  // Goldens show the sample insurers' seals and contacts, from wherever the check is run.
  const engine = await Engine.start({ insurersDir: SAMPLE_INSURERS_DIR, layoutsDir });
  try {
    const report = await checkGoldens(engine, { goldenDir, update: values.update === true, ci, ...(layout ? { layout } : {}) });
    printReport(report, writeReport(resolve(String(values.report)), report));
    return report.ok ? EXIT.ok : EXIT.failure;
  } finally {
    await engine.close();
  }
}

/** `diff REFERENCE CANDIDATE`: compares two proofs page by page; exit 0 when the same, 1 when not. */
export function diffCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return Promise.resolve().then(() => diff(values, positionals));
}

function diff(values: Record<string, unknown>, positionals: string[]): number {
  if (positionals.length !== 2)
    throw new UsageError('diff needs two proofs: diff REFERENCE CANDIDATE [--dpi N] [--report DIR] [--mask PAGE:X,Y,W,H]');
  const dpi = intOption(values, 'dpi', 25, 1200) ?? 300;
  const masks = ((values.mask as string[] | undefined) ?? []).map((m) => {
    try {
      return parseMask(m);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const report = diffProofs(positionals[0]!, positionals[1]!, { dpi, masks });
  printReport(report, writeReport(resolve(String(values.report)), report));
  return report.ok ? EXIT.ok : EXIT.failure;
}
