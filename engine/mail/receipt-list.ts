// The 差出票 / 受領証 of a registered run (docs/spec/interfaces.md, Mailing: `mailing receipts`): one row per
// piece from the run's manifest, its weight and weight class, and the run's summary, set up by the sender's
// insurer profile (`receipts`, insurers/README.md). The printable list is receipt-list-pdf.ts; the CSV is here.
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import type { Insurers, ReceiptColumn, ReceiptProfile, ReceiptSender } from '../insurers/profiles.ts';
import { formatInquiry, parseInquiry } from '../records/inquiry-number.ts';
import { REGISTERED_KINDS, type RegisteredKind } from './number-band.ts';

/** The title of the list when the profile names none: Japan Post's form for these kinds. */
export const DEFAULT_RECEIPT_TITLE = '書留・特定記録郵便物等差出票';
export const DEFAULT_RECEIPT_COLUMNS: readonly ReceiptColumn[] = ['number', 'postalCode', 'addressee', 'weight'];
/** One A4 sheet at 70 g/m² (0.0625 m² × 70 g). */
export const DEFAULT_SHEET_GRAMS = 4.4;
/** A 長形3号 window envelope. */
export const DEFAULT_ENVELOPE_GRAMS = 6;

/** Japan Post's weight classes, lightest first: 定形 up to 50 g, 定形外 up to 1 kg (interfaces.md). */
export const WEIGHT_CLASSES = [
  { id: '25g', grams: 25, shape: '定形' },
  { id: '50g', grams: 50, shape: '定形' },
  { id: '100g', grams: 100, shape: '定形外' },
  { id: '150g', grams: 150, shape: '定形外' },
  { id: '250g', grams: 250, shape: '定形外' },
  { id: '500g', grams: 500, shape: '定形外' },
  { id: '1kg', grams: 1000, shape: '定形外' },
] as const;
export type WeightClass = (typeof WEIGHT_CLASSES)[number]['id'];

/** A weight class as the list prints it: 定形 25g以内, 定形外 1kg以内. */
export function weightClassLabel(id: WeightClass): string {
  const c = WEIGHT_CLASSES.find((w) => w.id === id) as (typeof WEIGHT_CLASSES)[number];
  return `${c.shape} ${c.id}以内`;
}

/** The column headers, as the list and the CSV print them. */
export const RECEIPT_HEADERS: Record<ReceiptColumn, string> = {
  number: 'お問い合わせ番号',
  postalCode: '郵便番号',
  addressee: '受取人',
  address: '住所',
  weight: '重量区分',
  sheets: '枚数',
};

/** What the list reads of a manifest; output/manifest.ts's Manifest is one. */
export interface ReceiptManifest {
  envelopes?: readonly ReceiptEnvelope[] | undefined;
  registered?:
    { kind: RegisteredKind; label: string; insurerNumber: string | null; first: string; last: string; count: number } | undefined;
}

/** An envelope of a registered run's manifest, as far as the list needs it. */
export interface ReceiptEnvelope {
  envelope: number;
  sheets: number;
  postalCode: string;
  registeredNumber?: string | undefined;
  addressee?: string | undefined;
  address?: string | undefined;
}

/** One piece of the list. */
export interface ReceiptRow {
  /** 通番: 1 … N through the list. */
  serial: number;
  envelope: number;
  /** The お問い合わせ番号, printed form. */
  number: string;
  /** 123-4567. */
  postalCode: string;
  addressee: string;
  address: string;
  sheets: number;
  /** sheets × sheetGrams + envelopeGrams, to 0.1 g. */
  grams: number;
  weight: WeightClass;
}

/** How a list is set: the profile's `receipts` over the defaults. */
export interface ReceiptSettings {
  title: string;
  sender: ReceiptSender;
  columns: readonly ReceiptColumn[];
  sheetGrams: number;
  envelopeGrams: number;
}

/** A registered run's list: its kind, its pieces and their summary. */
export interface ReceiptList {
  kind: RegisteredKind;
  /** 簡易書留, 特定記録 or 一般書留. */
  label: string;
  insurerNumber: string | null;
  settings: ReceiptSettings;
  rows: ReceiptRow[];
  summary: {
    /** The lowest and highest number, printed form. */
    first: string;
    last: string;
    /** Pieces per weight class present, lightest first. */
    byWeight: { weight: WeightClass; pieces: number }[];
    pieces: number;
  };
}

/** The settings of a sender's profile (`receipts`), completed by the defaults. */
export function receiptSettings(profile: ReceiptProfile): ReceiptSettings {
  return {
    title: profile.title ?? DEFAULT_RECEIPT_TITLE,
    sender: profile.sender,
    columns: profile.columns ?? DEFAULT_RECEIPT_COLUMNS,
    sheetGrams: profile.sheetGrams ?? DEFAULT_SHEET_GRAMS,
    envelopeGrams: profile.envelopeGrams ?? DEFAULT_ENVELOPE_GRAMS,
  };
}

// A manifest is read from a file an operator names: what the list prints is checked here, at its edge.
const printed = z.string().trim().min(1);
const registeredSchema = z.object({
  kind: z.enum(Object.keys(REGISTERED_KINDS) as [RegisteredKind, ...RegisteredKind[]]),
  insurerNumber: z.string().nullable(),
  count: z.number().int().nonnegative(),
});
const envelopeSchema = z.object({
  envelope: z.number().int().positive(),
  sheets: z.number().int().positive(),
  postalCode: z.string().regex(/^\d{7}$/, 'expected 7 digits'),
  registeredNumber: printed,
  addressee: printed,
  address: printed,
});

/**
 * The list of a registered run's manifest. A manifest that is not a registered run's (no `registered`, an
 * envelope without its number, 宛名 or address), or whose numbers disagree with its `registered`, is refused
 * with INVALID_INPUT saying so; a piece heavier than 1 kg is refused naming its envelope.
 */
export function receiptList(manifest: ReceiptManifest, settings: ReceiptSettings): ReceiptList {
  const { kind, insurerNumber, count } = registeredRun(manifest);
  if (!Array.isArray(manifest.envelopes) || manifest.envelopes.length === 0) refuse('it has no envelopes');
  const seen = new Map<string, number>();
  const rows = (manifest.envelopes as readonly ReceiptEnvelope[]).map((raw, i): ReceiptRow => {
    const e = envelopeSchema.safeParse(raw);
    if (!e.success) return refuse(`envelopes[${i}].${issueText(e.error)}`);
    const { envelope, sheets, postalCode, addressee, address } = e.data;
    let number: string;
    try {
      number = formatInquiry(parseInquiry(e.data.registeredNumber));
    } catch (err) {
      return refuse(`envelope ${envelope}: ${(err as Error).message}`);
    }
    const twice = seen.get(number);
    if (twice !== undefined) refuse(`envelopes ${twice} and ${envelope} have the same お問い合わせ番号 ${number}`);
    seen.set(number, envelope);
    const grams = Math.round((sheets * settings.sheetGrams + settings.envelopeGrams) * 10) / 10;
    const weight = WEIGHT_CLASSES.find((w) => grams <= w.grams)?.id;
    if (weight === undefined)
      throw new PrintError('INVALID_INPUT', `envelope ${envelope}: ${sheets} sheets weigh ${grams} g, over the list's 1 kg: send it apart`);
    return {
      serial: i + 1,
      envelope,
      number,
      postalCode: `${postalCode.slice(0, 3)}-${postalCode.slice(3)}`,
      addressee,
      address,
      sheets,
      grams,
      weight,
    };
  });
  if (rows.length !== count) refuse(`registered.count is ${count}, its envelopes have ${rows.length} numbers`);
  const numbers = rows.map((r) => r.number).sort();
  const byWeight = WEIGHT_CLASSES.map((w) => ({ weight: w.id, pieces: rows.filter((r) => r.weight === w.id).length })).filter(
    (w) => w.pieces > 0,
  );
  return {
    kind,
    label: REGISTERED_KINDS[kind],
    insurerNumber,
    settings,
    rows,
    summary: { first: numbers[0] as string, last: numbers.at(-1) as string, byWeight, pieces: rows.length },
  };
}

/** The kind, sender and count of a registered run's manifest; any other manifest is refused (INVALID_INPUT), saying so. */
export function registeredRun(manifest: ReceiptManifest): z.infer<typeof registeredSchema> {
  if (manifest.registered === undefined || manifest.registered === null) refuse('it has no "registered"');
  const run = registeredSchema.safeParse(manifest.registered);
  if (!run.success) refuse(`registered.${issueText(run.error)}`);
  return run.data;
}

function refuse(why: string): never {
  throw new PrintError('INVALID_INPUT', `not the manifest of a registered run (render --mail … --registered KIND): ${why}`);
}

/** A cell of the list as printed (and written to the CSV). */
export function receiptCell(row: ReceiptRow, column: ReceiptColumn): string {
  switch (column) {
    case 'weight':
      return weightClassLabel(row.weight);
    case 'sheets':
      return String(row.sheets);
    default:
      return row[column];
  }
}

/**
 * The list as CSV: UTF-8 with a BOM (what spreadsheet programs in Japan need to read it as UTF-8), a header
 * line and one line per piece, the profile's columns, CRLF line ends. A cell that a spreadsheet would take
 * for a formula is written as text.
 */
export function receiptCsv(list: ReceiptList): string {
  const columns = list.settings.columns.map((c) => ({ key: c, header: RECEIPT_HEADERS[c] }));
  const records = list.rows.map((r) => Object.fromEntries(list.settings.columns.map((c) => [c, receiptCell(r, c)])));
  return stringify(records, { bom: true, header: true, columns, record_delimiter: 'windows', escape_formulas: true });
}

/** A zod failure as `path: message`. */
function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.')}: ${issue.message}` : error.message;
}

/**
 * The settings of the sender of a registered run: the receipt list's sender is the insurer profile of the
 * run's 保険者番号. A run without one, or whose insurer has no profile in `insurers`, is refused naming the
 * number and the folder: a post office takes no list without its sender.
 */
export function senderSettings(insurerNumber: string | null, insurers: Insurers): ReceiptSettings {
  const where = insurers.dir === '' ? 'no insurer profiles folder' : insurers.dir;
  if (insurerNumber === null)
    throw new PrintError(
      'INVALID_INPUT',
      "the run's records carry no 保険者番号: the receipt list takes its sender from an insurer profile",
    );
  const profile = insurers.get(insurerNumber);
  if (!profile)
    throw new PrintError(
      'INVALID_INPUT',
      `no insurer profile for 保険者番号 ${insurerNumber} in ${where}: the receipt list takes its sender (name, address) from it; add ${insurerNumber}.json or name the folder with --insurers`,
    );
  return receiptSettings(profile.receipts);
}
