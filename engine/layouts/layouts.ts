import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import { FIELD_NAMES, type FieldName } from '../records/fields.ts';

/** Where the layouts live: `layouts/` at the repository root, one folder per layout. */
export const LAYOUTS_DIR = resolve(fileURLToPath(import.meta.url), '../../../layouts');

const layoutFileSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  name: z.string().min(1),
  scheme: z.enum(['kokuho', 'kouki', 'kenpo']),
  page: z.strictObject({ widthMm: z.number().positive(), heightMm: z.number().positive() }),
  sides: z.array(z.strictObject({ id: z.string().min(1), name: z.string().min(1), template: z.string().min(1) })).min(1),
  document: z.enum(['card', 'notice']),
  styles: z.array(z.string().min(1)).min(1),
  partials: z.array(z.string().regex(/\.hbs$/)).default([]),
  required: z.array(z.enum(FIELD_NAMES as [FieldName, ...FieldName[]])),
  /** Fields required whenever another is set: { field: whenThisIsSet }. */
  requiredWith: z.partialRecord(z.enum(FIELD_NAMES as [FieldName, ...FieldName[]]), z.enum(FIELD_NAMES as [FieldName, ...FieldName[]])).default({}),
  samples: z.string().min(1),
  /** The side of the square box the insurer's seal prints in, in mm; layouts without a seal leave it out. */
  sealMm: z.number().positive().max(30).optional(),
  /** Whether the layout prints the 二次元コード with the insurance numbers (engine/insurers/profiles.ts). */
  cardCode: z.boolean().default(false),
  /** Whether the layout prints the QR code to the My Number portal (the notices). */
  portalQr: z.boolean().default(false),
  /** How far what runs to the page's edge is drawn past the trim, in mm: 0 when nothing does. */
  bleedMm: z.number().min(0).max(5).default(0),
  /** How far inside the trim text keeps, in mm: the print trade's 3 mm unless the layout says otherwise. */
  safeMm: z.number().min(0).max(20).default(3),
  /** The resolution a proof of the layout (golden, studio) is rasterized at. */
  proofDpi: z.number().int().min(72).max(1200).default(300),
});

/** A layout's description file, `layouts/<id>/layout.json`. */
export type LayoutFile = z.infer<typeof layoutFileSchema>;

/**
 * A layout as the engine uses it: its description plus the text of its templates and CSS. Paths in
 * layout.json are relative to the layout's folder; `../_shared/` holds what several layouts share.
 */
export interface Layout extends LayoutFile {
  dir: string;
  /** Template source per side, in print order. */
  sideTemplates: { id: string; name: string; source: string }[];
  /** Handlebars partials by name (the file name without .hbs), e.g. `{{> notice-strip}}`. */
  partialSources: Record<string, string>;
  css: string;
}

/** Reads and checks one layout folder; a broken layout.json is reported with its path. */
export function loadLayout(dir: string): Layout {
  const file = join(dir, 'layout.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new PrintError('SETUP', `cannot read layout description ${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = layoutFileSchema.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PrintError('SETUP', `layout description ${file} is invalid: ${what}`);
  }
  const desc = parsed.data;
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    ...desc,
    dir,
    sideTemplates: desc.sides.map((s) => ({ id: s.id, name: s.name, source: read(s.template) })),
    partialSources: Object.fromEntries(desc.partials.map((p) => [basename(p, '.hbs'), read(p)])),
    css: desc.styles.map(read).join('\n'),
  };
}

/** Every layout under `root`, sorted by id. */
export function loadLayouts(root: string = LAYOUTS_DIR): Map<string, Layout> {
  const layouts = new Map<string, Layout>();
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && existsSync(join(root, entry.name, 'layout.json'))) {
      const layout = loadLayout(join(root, entry.name));
      layouts.set(layout.id, layout);
    }
  }
  return layouts;
}

/** The layout with `id`, or an UNKNOWN_LAYOUT error listing the ids there are. */
export function getLayout(layouts: Map<string, Layout>, id: string): Layout {
  const layout = layouts.get(id);
  if (!layout) {
    throw new PrintError('UNKNOWN_LAYOUT', `unknown layout "${id}"; layouts: ${[...layouts.keys()].join(', ')}`);
  }
  return layout;
}

/** The largest seal box of any layout, in mm: a raster seal must be sharp enough for it. */
export function largestSealMm(layouts: Map<string, Layout>): number {
  return Math.max(0, ...[...layouts.values()].map((l) => l.sealMm ?? 0));
}

/** Reads a layout's sample records (its `samples` file). */
export function loadSamples(layout: Layout): unknown[] {
  return JSON.parse(readFileSync(join(layout.dir, layout.samples), 'utf8')) as unknown[];
}
