import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import { FIELD_NAMES, type FieldName } from '../records/fields.ts';
import { fileInside } from './file-inside.ts';

/** Where the layouts live: `layouts/` at the repository root, one folder per layout. */
export const LAYOUTS_DIR = resolve(fileURLToPath(import.meta.url), '../../../layouts');

const layoutId = z.string().regex(/^[a-z][a-z0-9-]*$/);
const layoutFileSchema = z.strictObject({
  id: layoutId,
  name: z.string().min(1),
  scheme: z.enum(['kokuho', 'kouki', 'kenpo']),
  page: z.strictObject({ widthMm: z.number().positive(), heightMm: z.number().positive() }),
  sides: z.array(z.strictObject({ id: z.string().min(1), name: z.string().min(1), template: z.string().min(1) })).min(1),
  /** A mailer is a carrier: the sheet with the 宛名 that goes first into an envelope (engine/mail-run.ts). */
  document: z.enum(['card', 'notice', 'mailer']),
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
  /** Whether the layout prints the 宛名 block (layouts/_shared/address-block.hbs) for a record with a postalCode. */
  addressBlock: z.boolean().default(false),
  /** The carrier layout that goes first into each envelope, by mailing mode; a mode left out has none. */
  mailers: z
    .strictObject({ household: layoutId.optional(), person: layoutId.optional(), employer: layoutId.optional() })
    .default({}),
  /**
   * A carrier's sheet (document "mailer"): where the documents' cards are placed on its first side, in mm
   * from the top-left (their backs behind them, for a long-edge duplex), how many names its list holds,
   * and the documents it carries.
   */
  mailer: z
    .strictObject({
      cardSlots: z.array(z.strictObject({ xMm: z.number().min(0), yMm: z.number().min(0) })).default([]),
      listRows: z.number().int().positive(),
      /**
       * What its samples are, and what the carrier prints when it is rendered by itself (golden, studio):
       * a mailing run of these records of `layout`, by `mail`.
       */
      carries: z.strictObject({
        layout: layoutId,
        mail: z.enum(['household', 'person', 'employer']),
        sort: z.enum(['postal', 'input']).default('input'),
      }),
    })
    .optional(),
  /**
   * Where a mailing run prints the insertion matching code on each of the layout's pages (the top-left of
   * the DataMatrix with its quiet zone, mm from the page's top-left): outside the window and the safe area,
   * where a designer can move it (engine/mail/matching-code.ts).
   */
  matchingCode: z.strictObject({ xMm: z.number().min(0), yMm: z.number().min(0) }).optional(),
  /** Whether the layout prints the QR code to the My Number portal (the notices). */
  portalQr: z.boolean().default(false),
  /** How far what runs to the page's edge is drawn past the trim, in mm: 0 when nothing does. */
  bleedMm: z.number().min(0).max(5).default(0),
  /** How far inside the trim text keeps, in mm: the print trade's 3 mm unless the layout says otherwise. */
  safeMm: z.number().min(0).max(20).default(3),
  /** The resolution a proof of the layout (golden, studio) is rasterized at. */
  proofDpi: z.number().int().min(72).max(1200).default(300),
  /**
   * Images of the layout's design (an insurer's logo), by name: each prints, fitted into its box, in an
   * element with class `layout-image-<name>` (layout-images.ts). SVG, or PNG/JPEG of 300 dpi at that size; a file
   * inside the layout's own folder.
   */
  images: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]*$/),
      z.strictObject({ file: z.string().min(1), widthMm: z.number().positive().max(300), heightMm: z.number().positive().max(300) }),
    )
    .default({}),
});

/** A layout's description file, `layouts/<id>/layout.json`, once its base (`extend`) is merged in. */
export type LayoutFile = z.infer<typeof layoutFileSchema>;

/**
 * A layout as the engine uses it: its description plus the text of its templates and CSS. Paths in
 * layout.json are relative to the folder of the layout.json that names them; `../_shared/` holds what
 * several layouts share. A layout that `extend`s another takes everything from it and overrides only what
 * it names: its id and name, and whatever else it gives. Its `styles` come after the base's (so its CSS
 * wins the cascade), its `partials` replace the base's of the same name (wording), its `sides` replace the
 * base's of the same id. An insurer's variant stays a few lines and follows every fix of its base.
 */
export interface Layout extends LayoutFile {
  dir: string;
  /** The layouts this one extends, nearest first (empty for a layout of its own). */
  extendsChain: string[];
  /** Template source per side, in print order, with the file it comes from. */
  sideTemplates: { id: string; name: string; source: string; file: string }[];
  /** Handlebars partials by name (the file name without .hbs), e.g. `{{> notice-strip}}`. */
  partialSources: Record<string, string>;
  /** The file of each partial, by name. */
  partialFiles: Record<string, string>;
  /** Each style sheet, in cascade order, with its file. */
  styleSheets: { file: string; source: string }[];
  css: string;
  /** Every file the layout is made of (its layout.json files, templates, partials, style sheets, samples). */
  files: string[];
}

type RawLayout = Record<string, unknown> & { files: string[]; chain: string[] };

/** Reads one layout.json, with the paths it names made absolute; a base it extends is merged in first. */
function readRaw(dir: string, seen: readonly string[]): RawLayout {
  const file = join(dir, 'layout.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new PrintError('SETUP', `cannot read layout description ${file}: ${(cause as Error).message}`, { cause });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PrintError('SETUP', `layout description ${file} is invalid: (root): expected an object`);
  }
  const own = absolutePaths(raw as Record<string, unknown>, dir, file);
  const base = own.extend;
  if (base === undefined) return { ...own, files: [file, ...namedFiles(own)], chain: [] };
  if (typeof base !== 'string' || !/^[a-z][a-z0-9-]*$/.test(base)) {
    throw new PrintError('SETUP', `layout description ${file} is invalid: extend: expected a layout id`);
  }
  const baseDir = join(dirname(dir), base);
  if (seen.includes(baseDir)) throw new PrintError('SETUP', `layout description ${file} extends ${base}, which extends it back`);
  if (!existsSync(join(baseDir, 'layout.json'))) {
    throw new PrintError('SETUP', `layout description ${file} extends ${base}, but there is no layout ${join(baseDir, 'layout.json')}`);
  }
  const parent = readRaw(baseDir, [...seen, dir]);
  return { ...mergeLayout(parent, own, file), files: [...parent.files, file, ...namedFiles(own)], chain: [base, ...parent.chain] };
}

/**
 * A layout.json's paths made absolute (they are relative to the folder of the file that names them), each
 * checked to stay where it may (fileInside): an image, a file the page draws, inside the layout's own
 * folder; the text it is made of (templates, partials, style sheets, samples) inside the layouts folder,
 * where `../_shared/` and a sibling's samples are how layouts share. Anything else is refused naming the
 * field, with one message whether or not the file exists.
 */
function absolutePaths(raw: Record<string, unknown>, dir: string, file: string): Record<string, unknown> {
  const path = (field: string, folder: string, whose: string) => (p: unknown) => {
    if (typeof p !== 'string') return p;
    const inside = fileInside(folder, resolve(dir, p));
    if (inside === undefined) {
      throw new PrintError(
        'SETUP',
        `layout description ${file} is invalid: ${field}: ${JSON.stringify(p)} is not a file inside ${whose}; a layout may name only those`,
      );
    }
    return inside;
  };
  const layoutsFolder = dirname(dir);
  const text = (field: string) => path(field, layoutsFolder, 'the layouts folder');
  const out = { ...raw };
  if (Array.isArray(raw.styles)) out.styles = raw.styles.map((p: unknown, i) => text(`styles.${i}`)(p));
  if (Array.isArray(raw.partials)) out.partials = raw.partials.map((p: unknown, i) => text(`partials.${i}`)(p));
  if (raw.samples !== undefined) out.samples = text('samples')(raw.samples);
  if (typeof raw.images === 'object' && raw.images !== null) {
    out.images = Object.fromEntries(
      Object.entries(raw.images as Record<string, unknown>).map(([name, image]) => [
        name,
        typeof image === 'object' && image !== null && 'file' in image
          ? { ...image, file: path(`images.${name}.file`, dir, "the layout's own folder")(image.file) }
          : image,
      ]),
    );
  }
  if (Array.isArray(raw.sides)) {
    out.sides = raw.sides.map((s: unknown, i) =>
      typeof s === 'object' && s !== null && 'template' in s ? { ...s, template: text(`sides.${i}.template`)(s.template) } : s,
    );
  }
  return out;
}

/** The files a layout.json names (absolute by now). */
function namedFiles(raw: Record<string, unknown>): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const sides = Array.isArray(raw.sides) ? raw.sides.map((s: unknown) => (s as { template?: unknown } | null)?.template) : [];
  const images = typeof raw.images === 'object' && raw.images !== null ? Object.values(raw.images).map((i: unknown) => (i as { file?: unknown } | null)?.file) : [];
  return [...list(raw.styles), ...list(raw.partials), ...list(sides), ...list([raw.samples]), ...list(images)];
}

/** A base layout.json with an extending one laid over it (see Layout). */
function mergeLayout(base: RawLayout, own: Record<string, unknown>, file: string): Record<string, unknown> {
  const { files: _files, chain: _chain, ...baseFields } = base;
  const merged: Record<string, unknown> = { ...baseFields, ...own };
  delete merged.extend;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  merged.styles = [...list(base.styles), ...list(own.styles)];
  // A partial of the same name replaces the base's: wording a variant words differently.
  const byName = new Map<string, unknown>();
  for (const p of [...list(base.partials), ...list(own.partials)]) byName.set(typeof p === 'string' ? basename(p, '.hbs') : String(p), p);
  merged.partials = [...byName.values()];
  if (own.sides !== undefined) {
    const baseSides = list(base.sides) as { id?: unknown }[];
    const ownSides = list(own.sides) as { id?: unknown }[];
    for (const side of ownSides) {
      if (!baseSides.some((b) => b.id === side.id)) {
        throw new PrintError('SETUP', `layout description ${file} is invalid: sides: ${String(side.id)} is not a side of the layout it extends`);
      }
    }
    merged.sides = baseSides.map((b) => ({ ...b, ...ownSides.find((s) => s.id === b.id) }));
  }
  // An image of the same name replaces the base's (a variant's own logo).
  if (own.images !== undefined) merged.images = { ...(base.images as object), ...(own.images as object) };
  if (own.requiredWith !== undefined) merged.requiredWith = { ...(base.requiredWith as object), ...(own.requiredWith as object) };
  return merged;
}

/** Reads and checks one layout folder (and what it extends); a broken layout.json is reported with its path. */
export function loadLayout(dir: string): Layout {
  const file = join(dir, 'layout.json');
  const { files, chain, ...raw } = readRaw(resolve(dir), []);
  const parsed = layoutFileSchema.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PrintError('SETUP', `layout description ${file} is invalid: ${what}`);
  }
  const desc = parsed.data;
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (cause) {
      throw new PrintError('SETUP', `layout ${desc.id}: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  };
  const styleSheets = desc.styles.map((f) => ({ file: f, source: read(f) }));
  return {
    ...desc,
    dir: resolve(dir),
    extendsChain: chain,
    sideTemplates: desc.sides.map((s) => ({ id: s.id, name: s.name, source: read(s.template), file: s.template })),
    partialSources: Object.fromEntries(desc.partials.map((p) => [basename(p, '.hbs'), read(p)])),
    partialFiles: Object.fromEntries(desc.partials.map((p) => [basename(p, '.hbs'), p])),
    styleSheets,
    css: styleSheets.map((s) => s.source).join('\n'),
    files: [...new Set(files)],
  };
}

/** Every layout under `root`, sorted by id; the first broken one fails the whole (a print run needs them all). */
export function loadLayouts(root: string = LAYOUTS_DIR): Map<string, Layout> {
  const { layouts, broken } = loadLayoutsLeniently(root);
  if (broken[0]) throw broken[0].error;
  return layouts;
}

/**
 * Every layout under `root` that loads, and for each one that does not, its folder and the error: the
 * studio keeps working on the others while a designer mends one.
 */
export function loadLayoutsLeniently(root: string): { layouts: Map<string, Layout>; broken: { dir: string; error: Error }[] } {
  const layouts = new Map<string, Layout>();
  const broken: { dir: string; error: Error }[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || !existsSync(join(root, entry.name, 'layout.json'))) continue;
    const dir = join(root, entry.name);
    try {
      const layout = loadLayout(dir);
      layouts.set(layout.id, layout);
    } catch (error) {
      broken.push({ dir, error: error as Error });
    }
  }
  return { layouts, broken };
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
  return JSON.parse(readFileSync(resolve(layout.dir, layout.samples), 'utf8')) as unknown[];
}
