import { loadLayouts, summarizeLayout } from '../engine/index.ts';
import { EXIT } from './report.ts';

/** `layouts`: the layout ids with page size and sides, as a table or as JSON. */
export function layoutsCommand(values: Record<string, unknown>): Promise<number> {
  const summaries = [...loadLayouts().values()].map(summarizeLayout);
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    return Promise.resolve(EXIT.ok);
  }
  // The first column as wide as the longest id and two spaces: an id never runs into its page size.
  const idWidth = Math.max(16, ...summaries.map((s) => s.id.length + 2));
  const rows = summaries.map(
    (s) => `${s.id.padEnd(idWidth)}${`${s.widthMm} × ${s.heightMm} mm`.padEnd(22)}${s.sides.join(', ').padEnd(14)}${s.name}`,
  );
  process.stdout.write(`${'layout'.padEnd(idWidth)}${'page'.padEnd(22)}${'sides'.padEnd(14)}name\n${rows.join('\n')}\n`);
  return Promise.resolve(EXIT.ok);
}
