// The insertion matching code on every sheet of a mailing run (docs/spec/interfaces.md, Mailing): an
// inserting machine or a camera reads it to check that the sheets going into one envelope belong together,
// in full and in order. It reads `RUN.ENVELOPE.SHEET.SHEETS` and holds nothing else: never a name, a
// number or an address. Printed as a DataMatrix (ECC 200), which inserting cameras read and ZXingReader
// (zxing-cpp-tools) reads here, independently of the encoder.
import { createHash } from 'node:crypto';
import bwipjs from 'bwip-js';
import { PrintError } from '../errors.ts';

/** A run's id: 4 to 8 of A–Z 0–9. */
export const RUN_ID = /^[A-Z0-9]{4,8}$/;
const CODE = /^([A-Z0-9]{4,8})\.(\d{6})\.(\d{2})\.(\d{2})$/;
/** The side of one DataMatrix module in mm: 18 × 18 modules for a code of 19 characters, 7.2 mm. */
export const MODULE_MM = 0.4;
/** The clear margin around the symbol, in modules (ISO/IEC 16022: one module). */
export const QUIET_MODULES = 1;

/** What a matching code says. */
export interface MatchingCode {
  run: string;
  envelope: number;
  sheet: number;
  sheets: number;
}

/** The code of sheet `sheet` of `sheets` of envelope `envelope` (1-based) of run `run`. */
export function matchingCode({ run, envelope, sheet, sheets }: MatchingCode): string {
  if (!RUN_ID.test(run)) throw new PrintError('INVALID_INPUT', `a run id is 4 to 8 of A–Z and 0–9, not "${run}"`);
  if (!(Number.isInteger(envelope) && envelope >= 1 && envelope <= 999_999)) {
    throw new PrintError(
      'INVALID_INPUT',
      `a matching code numbers envelopes 1 to 999999: a run of more envelopes must be split (envelope ${envelope})`,
    );
  }
  if (!(Number.isInteger(sheets) && sheets >= 1 && sheets <= 99 && Number.isInteger(sheet) && sheet >= 1 && sheet <= sheets)) {
    throw new PrintError('INVALID_INPUT', `a matching code counts 1 to 99 sheets an envelope: envelope ${envelope} has ${sheets}`);
  }
  const two = (n: number) => String(n).padStart(2, '0');
  return `${run}.${String(envelope).padStart(6, '0')}.${two(sheet)}.${two(sheets)}`;
}

/** A matching code read back, or null for text that is not one. */
export function parseMatchingCode(text: string): MatchingCode | null {
  const m = CODE.exec(text.trim());
  if (!m) return null;
  const [, run = '', envelope = '', sheet = '', sheets = ''] = m;
  return { run, envelope: Number(envelope), sheet: Number(sheet), sheets: Number(sheets) };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The run id a mailing run gets when its caller names none: 6 characters from a digest of what it prints
 * (layout, mode, order and records), so the same input prints the same codes (and the same bytes) and a
 * reprint of it matches the first print, while another input gets another id.
 */
export function runIdOf(content: string): string {
  const digest = createHash('sha256').update(content).digest();
  return Array.from(digest.subarray(0, 6), (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** The dark modules of a code's DataMatrix, row by row from the top, without the quiet zone. */
export interface DataMatrixModules {
  columns: number;
  rows: number;
  dark: (column: number, row: number) => boolean;
}

/** The DataMatrix of `text`, square, ECC 200 (bwip-js's encoder; a symbol's geometry, drawn by the caller). */
export function dataMatrix(text: string): DataMatrixModules {
  const [symbol] = bwipjs.raw('datamatrix', text, {}) as { pixs: number[]; pixx: number; pixy: number }[];
  if (!symbol) throw new PrintError('RENDER', 'the DataMatrix encoder gave no symbol');
  const { pixs, pixx, pixy } = symbol;
  return { columns: pixx, rows: pixy, dark: (c, r) => pixs[r * pixx + c] === 1 };
}
