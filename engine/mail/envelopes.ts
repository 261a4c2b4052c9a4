// Window envelopes as data (envelopes/*.json, envelopes/README.md): where the window is, how the sheet is
// folded and how far the insert moves, and from that the one rectangle of the sheet where the 宛名 block
// may stand. Japan Post's rule for a barcode seen through a window: 2 mm from the frame however the insert
// moves (docs/spec/mailing.md, カスタマバーコード).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import { BARCODE_POINTS } from './customer-barcode.ts';

/** Where the envelope profiles live: `envelopes/` at the repository root. */
export const ENVELOPES_DIR = resolve(fileURLToPath(import.meta.url), '../../../envelopes');
/** The envelope of a run whose insurer profile names none and whose caller asks for none. */
export const DEFAULT_ENVELOPE = 'naga3-window';
/** Japan Post's clearance between a window's frame and the barcode, in mm. */
export const WINDOW_CLEARANCE_MM = 2;
/** The least room a 宛名 block needs: an 8 pt barcode (63.84 mm) and five lines of text. */
export const BLOCK_MIN_MM = { width: 64, height: 28 } as const;
/** A barcode at 10 pt is this long; at other sizes in proportion (docs/spec/mailing.md). */
const BARCODE_LENGTH_10PT_MM = 79.8;

const size = z.strictObject({ width: z.number().positive().max(1000), height: z.number().positive().max(1000) });
const point = z.strictObject({ x: z.number().min(0).max(1000), y: z.number().min(0).max(1000) });
const envelopeSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  name: z.string().min(1),
  note: z.string().optional(),
  envelopeMm: size,
  sheetMm: size,
  foldsMm: z.array(z.number().positive()).max(4),
  insertMm: point,
  windowMm: z.strictObject({ ...point.shape, ...size.shape }),
  playMm: z.strictObject({ x: z.number().min(0).max(30), y: z.number().min(0).max(30) }),
});

/** A rectangle in mm, from the sheet's (or the face's) top-left corner, y downwards. */
export interface RectMm {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An envelope profile as written, with the file it came from. */
export type Envelope = z.infer<typeof envelopeSchema> & { file: string };

/** Where the window lies on the sheet when the insert sits `dx`, `dy` mm from the middle of its play. */
export function windowOnSheet(envelope: Envelope, dx = 0, dy = 0): RectMm {
  const { windowMm: w, insertMm: at } = envelope;
  return { x: w.x - at.x - dx, y: w.y - at.y - dy, width: w.width, height: w.height };
}

/**
 * The rectangle of the sheet the 宛名 block must stay inside: the window minus Japan Post's 2 mm, at every
 * extreme of the play at once (the insert moved left and up, right and down …).
 */
export function blockArea(envelope: Envelope): RectMm {
  const w = windowOnSheet(envelope);
  const { x: px, y: py } = envelope.playMm;
  const inset = (c: number) => WINDOW_CLEARANCE_MM + c;
  return {
    x: w.x + inset(px),
    y: w.y + inset(py),
    width: w.width - 2 * inset(px),
    height: w.height - 2 * inset(py),
  };
}

/** The largest barcode size, in steps of 0.25 pt up to the 10 pt reference, whose length fits `widthMm`. */
export function barcodePointsFor(widthMm: number): number {
  const fit = Math.floor((widthMm / BARCODE_LENGTH_10PT_MM) * 10 * 4) / 4;
  return Math.min(10, fit);
}

/** Reads and checks one profile: a window too small for the block, or off the folded panel, is refused. */
function readEnvelope(file: string): Envelope {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PrintError('SETUP', `envelope profile ${file}: ${(err as Error).message}`);
  }
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrintError('SETUP', `envelope profile ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const envelope = { ...parsed.data, file };
  if (envelope.id !== basename(file, '.json'))
    throw new PrintError('SETUP', `envelope profile ${file}: id "${envelope.id}" is not the file's name`);
  const area = blockArea(envelope);
  if (area.width < BLOCK_MIN_MM.width || area.height < BLOCK_MIN_MM.height) {
    throw new PrintError(
      'SETUP',
      `envelope profile ${file}: the window minus 2 mm and the play leaves ${area.width.toFixed(1)} × ${area.height.toFixed(1)} mm, the 宛名 block needs ${BLOCK_MIN_MM.width} × ${BLOCK_MIN_MM.height} mm`,
    );
  }
  const panel = envelope.foldsMm[0] ?? envelope.sheetMm.height;
  if (area.x < 0 || area.y < 0 || area.x + area.width > envelope.sheetMm.width || area.y + area.height > panel) {
    throw new PrintError('SETUP', `envelope profile ${file}: the window does not lie on the sheet's panel above the first fold`);
  }
  if (barcodePointsFor(area.width) < BARCODE_POINTS.min)
    throw new PrintError('SETUP', `envelope profile ${file}: no room for an 8 pt barcode`);
  return envelope;
}

/** Every envelope profile of a folder, by id. */
export function loadEnvelopes(dir: string = ENVELOPES_DIR): Map<string, Envelope> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return new Map(files.map((f) => readEnvelope(join(dir, f))).map((e) => [e.id, e]));
}

/** The envelope named `id`; an unknown id is refused naming the ones there are. */
export function getEnvelope(envelopes: ReadonlyMap<string, Envelope>, id: string): Envelope {
  const envelope = envelopes.get(id);
  if (!envelope) throw new PrintError('INVALID_INPUT', `no envelope profile "${id}" (there are: ${[...envelopes.keys()].join(', ')})`);
  return envelope;
}
