import { FIELDS, isFieldName } from '../records/fields.ts';
import type { Layout } from '../layouts/layouts.ts';
import { bleedMm } from './page-size.ts';
import type { OutputOptions } from './target.ts';

type Box = [number, number, number, number];

/**
 * Where the fixed boxes are on one side (the n-th page of each record is the layout's n-th side), in mm
 * from the page's top-left corner (the bleed's edge on pages with bleed). A box that is not in the same
 * place for every record lists each place.
 */
export interface FieldMapSide {
  side: string;
  fields: { field: string; label: string; boxMm: Box[] }[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * The distinct boxes printed chunks saw (FIELD_BOXES lines: side, field, x,y,w,h in mm on the trim page),
 * as the field map of the layout's sides, moved by `offsetMm` (the bleed).
 */
export function fieldMapOf(layout: Layout, lines: Iterable<string>, offsetMm: number): FieldMapSide[] {
  const sides = new Map(layout.sides.map((s) => [s.id, new Map<string, Box[]>()]));
  for (const line of [...lines].sort()) {
    const [side = '', field = '', box = ''] = line.split('\t');
    const [x = 0, y = 0, w = 0, h = 0] = box.split(',').map(Number);
    const fields = sides.get(side);
    if (!fields) continue;
    fields.set(field, [...(fields.get(field) ?? []), [round1(x + offsetMm), round1(y + offsetMm), w, h]]);
  }
  return [...sides].map(([side, fields]) => ({
    side,
    fields: [...fields].map(([field, boxMm]) => ({ field, label: isFieldName(field) ? FIELDS[field].label : field, boxMm })),
  }));
}

/**
 * One field map from the maps of a job's chunks (each of trim pages without bleed), every distinct box
 * once, for the job's output: moved by the bleed when it has one. Imposed and split output have none (their
 * pages are not one record's side).
 */
export function mergeFieldMaps(
  layout: Layout,
  maps: readonly (readonly FieldMapSide[])[],
  output: OutputOptions,
): FieldMapSide[] | undefined {
  if (output.impose || output.split !== undefined || maps.length === 0) return undefined;
  const lines = new Set<string>();
  for (const map of maps)
    for (const { side, fields } of map)
      for (const { field, boxMm } of fields) for (const box of boxMm) lines.add(`${side}\t${field}\t${box.join(',')}`);
  return fieldMapOf(layout, lines, bleedMm(output));
}
