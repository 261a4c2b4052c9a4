import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PrintError } from '../errors.ts';
import { isValidInsurerNumber } from '../records/insurer-number.ts';
import { fileInside } from '../layouts/file-inside.ts';
import { loadSealImage, type SealImage } from './seal-image.ts';
import { fontForText, pinnedCoverage } from '../fonts/glyph-coverage.ts';

/** Where profiles are looked for when none is named: `insurers/` in the current folder. */
export const DEFAULT_INSURERS_DIR = 'insurers';
/** The sample profiles of this repository (for its sample records and goldens), wherever it is run from. */
export const SAMPLE_INSURERS_DIR = resolve(fileURLToPath(import.meta.url), '../../../insurers');

/**
 * What the 二次元コード on a card carries when the profile says nothing: the four numbers that identify
 * the holder, separated by `/` (a character QR's alphanumeric mode holds, and no 記号 or 番号 contains).
 */
export const DEFAULT_CARD_CODE = '{insurerNumber}/{symbol}/{number}/{branch}';
/** The fields a card-code template may name. */
export const CARD_CODE_FIELDS = ['insurerNumber', 'symbol', 'number', 'branch'] as const;
/** 朱色, the red of an official seal, when a profile names no colour. */
export const DEFAULT_SEAL_COLOR = '#e60033';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const text = z.string().trim().min(1).regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/u);
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour #rrggbb');
const postalCode = z.string().regex(/^\d{3}-?\d{4}$/, 'expected a 郵便番号 of 7 digits, 123-4567 or 1234567');
const cardCode = z.string().min(1).max(200).refine(
  (t) => [...t.matchAll(/\{([^}]*)\}/g)].every((m) => (CARD_CODE_FIELDS as readonly string[]).includes(m[1] ?? '')),
  `may name only ${CARD_CODE_FIELDS.map((f) => `{${f}}`).join(', ')}`,
);

/** The columns a receipt list (差出票) may show, in the order the profile names them. */
export const RECEIPT_COLUMNS = ['number', 'postalCode', 'addressee', 'address', 'weight', 'sheets'] as const;
export type ReceiptColumn = (typeof RECEIPT_COLUMNS)[number];

/** The 差出票 / 受領証 of a registered run (docs/spec/interfaces.md, Mailing: `mailing receipts`). */
const receiptsSchema = z.strictObject({
  title: text.optional(),
  sender: z
    .strictObject({ name: text.optional(), postalCode: postalCode.optional(), address: text.optional(), telephone: text.optional() })
    .optional(),
  columns: z
    .array(z.enum(RECEIPT_COLUMNS))
    .min(1, 'expected at least one column')
    .refine((cs) => new Set(cs).size === cs.length, 'names a column twice')
    .optional(),
  /** One sheet of paper in grams: A4 at 70 g/m² is 4.4 g. */
  sheetGrams: z.number().positive().max(50).optional(),
  /** The envelope itself in grams. */
  envelopeGrams: z.number().min(0).max(200).optional(),
});

const profileSchema = z.strictObject({
  insurerNumber: z.string().refine(isValidInsurerNumber, 'expected a 保険者番号 of 6 or 8 digits with a valid check digit'),
  /** 名称: printed as 交付者名 / 保険者名称. */
  name: text,
  prefecture: text.optional(),
  /** 所在地: printed as 保険者所在地. */
  address: text.optional(),
  /** 問い合わせ先, printed at the foot of notices. */
  contact: z.strictObject({ department: text, address: text.optional(), telephone: text.optional(), hours: text.optional() }).optional(),
  /** The seal image, SVG or PNG: a file inside the profile's folder, named relative to it. */
  seal: z.string().min(1).optional(),
  codes: z.strictObject({ portalUrl: z.url({ protocol: /^https$/ }).optional(), card: cardCode.optional() }).optional(),
  colors: z.strictObject({ seal: color.optional(), accent: color.optional() }).optional(),
  /** The window envelope its mail goes in (envelopes/<id>.json); the default envelope when left out. */
  envelope: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
  /** The receipt list of its registered mail: title, sender, columns and weights. */
  receipts: receiptsSchema.optional(),
});

/** A profile file as written. */
export type InsurerProfileFile = z.infer<typeof profileSchema>;

/** The 問い合わせ先 block's lines. */
export interface InsurerContact {
  department: string;
  address?: string | undefined;
  telephone?: string | undefined;
  hours?: string | undefined;
}

/** Who sends a registered run, as its receipt list prints it. */
export interface ReceiptSender {
  name: string;
  /** 123-4567. */
  postalCode?: string;
  address?: string;
  telephone?: string;
}

/** A profile's receipt list settings: the sender completed from the profile, the rest as written (defaults in mail/receipt-list.ts). */
export interface ReceiptProfile {
  title?: string;
  sender: ReceiptSender;
  columns?: ReceiptColumn[];
  sheetGrams?: number;
  envelopeGrams?: number;
}

/** An insurer profile as the engine uses it. */
export interface InsurerProfile {
  insurerNumber: string;
  file: string;
  /** Record fields the profile fills in where a record leaves them out. */
  fields: { insurerName: string; prefecture?: string; insurerAddress?: string; portalUrl?: string };
  contact: InsurerContact | null;
  seal: SealImage | null;
  cardCode: string;
  accent: string;
  /** The envelope profile's id, or null for the default. */
  envelope: string | null;
  /** Its registered runs' receipt list. */
  receipts: ReceiptProfile;
}

/** The profiles of one folder, by 保険者番号. */
export class Insurers {
  constructor(
    /** The folder they came from, for messages; '' when there is none. */
    readonly dir: string,
    private readonly byNumber: ReadonlyMap<string, InsurerProfile> = new Map(),
  ) {}

  get(insurerNumber: unknown): InsurerProfile | undefined {
    return typeof insurerNumber === 'string' ? this.byNumber.get(insurerNumber) : undefined;
  }

  get size(): number {
    return this.byNumber.size;
  }

  /** Every profile, in no particular order. */
  all(): InsurerProfile[] {
    return [...this.byNumber.values()];
  }

  /** Every seal image, for the asset server. */
  seals(): SealImage[] {
    return [...this.byNumber.values()].flatMap((p) => (p.seal ? [p.seal] : []));
  }
}

/** No profiles: every record carries its insurer's fields itself. */
export const NO_INSURERS = new Insurers('');

/**
 * Reads every `<保険者番号>.json` in `dir` and checks it: its schema, that its name matches its number, and
 * its seal image (printed at `sealMm`, the largest seal box of any layout). A folder that is not there is
 * an error when it was asked for by name (`explicit`), and no profiles when it is the default. Any bad
 * profile stops the start with a SETUP error naming the file: a run never prints half its insurers wrong.
 */
export async function loadInsurers(dir: string, options: { sealMm: number; explicit: boolean }): Promise<Insurers> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    if (options.explicit) throw new PrintError('SETUP', `insurer profiles folder ${root} does not exist`);
    return new Insurers(root);
  }
  const profiles = new Map<string, InsurerProfile>();
  for (const name of readdirSync(root).filter((n) => n.endsWith('.json')).sort()) {
    const file = join(root, name);
    const profile = await loadProfile(file, options.sealMm);
    profiles.set(profile.insurerNumber, profile);
  }
  return new Insurers(root, profiles);
}

async function loadProfile(file: string, sealMm: number): Promise<InsurerProfile> {
  const fail = (why: string): never => {
    throw new PrintError('SETUP', `insurer profile ${file}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    fail(`cannot read it: ${(cause as Error).message}`);
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const p = parsed.data as InsurerProfileFile;
  if (basename(file, '.json') !== p.insurerNumber) fail(`its name must be its 保険者番号: ${p.insurerNumber}.json`);
  // What a profile prints must be drawn by the pinned fonts, as a record's text must.
  const printed: [string, string | undefined][] = [
    ['name', p.name], ['prefecture', p.prefecture], ['address', p.address], ['contact.department', p.contact?.department],
    ['contact.address', p.contact?.address], ['contact.telephone', p.contact?.telephone], ['contact.hours', p.contact?.hours],
    ['receipts.title', p.receipts?.title], ['receipts.sender.name', p.receipts?.sender?.name],
    ['receipts.sender.address', p.receipts?.sender?.address], ['receipts.sender.telephone', p.receipts?.sender?.telephone],
  ];
  for (const [field, value] of printed) {
    const verdict = value === undefined ? undefined : fontForText(value, pinnedCoverage());
    if (verdict && 'missing' in verdict) fail(`${field}: ${verdict.missing} ${verdict.reason}`);
  }
  let seal: SealImage | null = null;
  if (p.seal) {
    // Only a file of the profiles folder: a profile must not make the engine (or the studio) read, and
    // draw, any other file of the disk. One message whether or not such a file exists (fileInside).
    const sealFile =
      fileInside(dirname(file), p.seal) ??
      fail(`seal: ${JSON.stringify(p.seal)} is not a file inside the profile's folder; a profile may name only its own folder's files`);
    try {
      seal = await loadSealImage(sealFile, p.colors?.seal ?? DEFAULT_SEAL_COLOR, sealMm);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const fields: InsurerProfile['fields'] = { insurerName: p.name };
  if (p.prefecture) fields.prefecture = p.prefecture;
  if (p.address) fields.insurerAddress = p.address;
  if (p.codes?.portalUrl) fields.portalUrl = p.codes.portalUrl;
  return {
    insurerNumber: p.insurerNumber,
    file,
    fields,
    contact: p.contact ?? null,
    seal,
    cardCode: p.codes?.card ?? DEFAULT_CARD_CODE,
    accent: p.colors?.accent ?? '#000000',
    envelope: p.envelope ?? null,
    receipts: receiptProfile(p),
  };
}

/** The receipt list settings of a profile file: the sender's name and address are the profile's unless it names others. */
function receiptProfile(p: InsurerProfileFile): ReceiptProfile {
  const r = p.receipts ?? {};
  const s = r.sender ?? {};
  const address = s.address ?? p.address;
  const zip = s.postalCode?.replace(/^(\d{3})-?(\d{4})$/, '$1-$2');
  return {
    ...(r.title !== undefined ? { title: r.title } : {}),
    sender: {
      name: s.name ?? p.name,
      ...(zip !== undefined ? { postalCode: zip } : {}),
      ...(address !== undefined ? { address } : {}),
      ...(s.telephone !== undefined ? { telephone: s.telephone } : {}),
    },
    ...(r.columns !== undefined ? { columns: r.columns } : {}),
    ...(r.sheetGrams !== undefined ? { sheetGrams: r.sheetGrams } : {}),
    ...(r.envelopeGrams !== undefined ? { envelopeGrams: r.envelopeGrams } : {}),
  };
}

/** The text a card's 二次元コード carries: the template with the record's numbers put in. */
export function cardCodeText(template: string, values: Record<(typeof CARD_CODE_FIELDS)[number], string>): string {
  return template.replace(/\{(insurerNumber|symbol|number|branch)\}/g, (_, f: keyof typeof values) => values[f]);
}
