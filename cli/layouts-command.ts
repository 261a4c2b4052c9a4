import { loadLayouts, summarizeLayout } from '../engine/index.ts';
import { EXIT } from './report.ts';

/** `layouts`: the layout ids with page size and sides, as a table or as JSON. */
export function layoutsCommand(values: Record<string, unknown>): Promise<number> {
  const summaries = [...loadLayouts().values()].map(summarizeLayout);
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    return Promise.resolve(EXIT.ok);
  }
  const rows = summaries.map(
    (s) => `${s.id.padEnd(16)}${`${s.widthMm} × ${s.heightMm} mm`.padEnd(22)}${s.sides.join(', ').padEnd(14)}${s.name}`,
  );
  process.stdout.write(`${'layout'.padEnd(16)}${'page'.padEnd(22)}${'sides'.padEnd(14)}name\n${rows.join('\n')}\n`);
  return Promise.resolve(EXIT.ok);
}
