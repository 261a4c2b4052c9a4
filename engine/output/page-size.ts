import type { Layout } from '../layouts/layouts.ts';
import { SHEET_BLEED_MM } from './sheet-plan.ts';
import type { OutputOptions } from './target.ts';

/** The bleed around each trim page of the output, on every side, in mm (none without `bleed`). */
export function bleedMm(output: Pick<OutputOptions, 'bleed'>): number {
  return output.bleed ? SHEET_BLEED_MM : 0;
}

/** The size of the output's pages: the press sheet, the trim with its bleed, or the trim. */
export function outputPageSize(layout: Layout, output: OutputOptions): { widthMm: number; heightMm: number } {
  if (output.impose) return { widthMm: output.impose.widthMm, heightMm: output.impose.heightMm };
  const b = 2 * bleedMm(output);
  return { widthMm: layout.page.widthMm + b, heightMm: layout.page.heightMm + b };
}
