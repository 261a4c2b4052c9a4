import type { Layout } from '../layouts/layouts.ts';
import { SHEET_BLEED_MM } from './sheet-plan.ts';
import type { OutputOptions } from './target.ts';

/** The size of the output's pages: the press sheet, the trim with its bleed, or the trim. */
export function outputPageSize(layout: Layout, output: OutputOptions): { widthMm: number; heightMm: number } {
  if (output.impose) return { widthMm: output.impose.widthMm, heightMm: output.impose.heightMm };
  const b = output.bleed ? 2 * SHEET_BLEED_MM : 0;
  return { widthMm: layout.page.widthMm + b, heightMm: layout.page.heightMm + b };
}
