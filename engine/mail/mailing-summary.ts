// The counts of a mailing run that Japan Post's 差出票 asks for (pieces per weight class, per 郵便区, with and
// without the カスタマバーコード) and whether the run meets the count conditions of the barcode and presort
// discounts (docs/spec/mailing.md, the last lines). Counts only: an envelope comes in with its postal code and
// leaves as a 3-digit 郵便区, so a summary can be kept, printed and sent without holding anyone's address.
import { PrintError } from '../errors.ts';

/** One envelope of a mailing run, as the summary needs it: counts only, never names or addresses. */
export interface SummaryEnvelope {
  /** The addressee's postal code, 7 digits; null when the envelope has none. */
  postalCode: string | null;
  sheets: number;
  records: number;
  barcode: boolean;
}

/** The run a summary describes, as the operator chose it. */
export interface SummaryRun {
  name: string;
  layout: string;
  mail: 'household' | 'person' | 'employer';
  sort: 'postal' | 'input';
  /** The envelope profile's id. */
  envelope: string;
  /** When the run was made, ISO 8601; the summary's PDF takes its dates from it. */
  createdAt: string;
}

/** Japan Post's count conditions of its discounts, as this run meets them; the other conditions are not checked. */
export interface SummaryDiscounts {
  /** Envelopes with a barcode: the pieces the barcode discount counts. */
  barcodePieces: number;
  /** At least BARCODE_DISCOUNT_PIECES pieces with a barcode (one shape and weight is the sender's to confirm). */
  barcodeDiscountCount: boolean;
  /** The run is in postal-code order, which is how 区分郵便物 are presorted by 郵便区. */
  presorted: boolean;
  /** Presorted, and at least PRESORT_DISCOUNT_PIECES envelopes. */
  presortCount: boolean;
}

/** What a mailing run hands to the post office, in counts. */
export interface MailingSummary {
  run: SummaryRun;
  envelopes: number;
  records: number;
  sheets: number;
  barcode: { with: number; without: number };
  /** Envelopes per 3-digit 郵便区, ascending; `none` (last) for envelopes without a postal code. */
  byDistrict: { district: string; envelopes: number; withBarcode: number }[];
  /** Envelopes per sheet count (pieces of one weight class, what the 差出票 needs), ascending. */
  bySheets: { sheets: number; envelopes: number }[];
  discounts: SummaryDiscounts;
}

/** バーコード付郵便物: 1,000 pieces or more of one shape and weight (mailing.md). */
export const BARCODE_DISCOUNT_PIECES = 1_000;
/** 区分郵便物: 2,000 pieces or more, presorted by 郵便区 (mailing.md). */
export const PRESORT_DISCOUNT_PIECES = 2_000;
/** The district of envelopes without a postal code. */
export const NO_DISTRICT = 'none';

/**
 * Counts a run's envelopes in one pass (a run of 300,000 envelopes keeps only its few hundred districts and
 * sheet counts). An envelope that cannot be counted is an INVALID_INPUT error naming it by position; the
 * message never repeats its postal code.
 */
export function mailingSummary(run: SummaryRun, envelopes: Iterable<SummaryEnvelope>): MailingSummary {
  checkCreatedAt(run.createdAt);
  const districts = new Map<string, { envelopes: number; withBarcode: number }>();
  const sheetClasses = new Map<number, number>();
  let count = 0;
  let records = 0;
  let sheets = 0;
  let withBarcode = 0;
  for (const envelope of envelopes) {
    count += 1;
    checkEnvelope(envelope, count);
    records += envelope.records;
    sheets += envelope.sheets;
    if (envelope.barcode) withBarcode += 1;
    const district = envelope.postalCode === null ? NO_DISTRICT : envelope.postalCode.slice(0, 3);
    const counts = districts.get(district) ?? { envelopes: 0, withBarcode: 0 };
    counts.envelopes += 1;
    if (envelope.barcode) counts.withBarcode += 1;
    districts.set(district, counts);
    sheetClasses.set(envelope.sheets, (sheetClasses.get(envelope.sheets) ?? 0) + 1);
  }
  const presorted = run.sort === 'postal';
  return {
    // Field by field: whatever else the caller's object carries stays out of the summary.
    run: { name: run.name, layout: run.layout, mail: run.mail, sort: run.sort, envelope: run.envelope, createdAt: run.createdAt },
    envelopes: count,
    records,
    sheets,
    barcode: { with: withBarcode, without: count - withBarcode },
    byDistrict: [...districts]
      .sort(([a], [b]) => districtOrder(a, b))
      .map(([district, c]) => ({ district, envelopes: c.envelopes, withBarcode: c.withBarcode })),
    bySheets: [...sheetClasses].sort(([a], [b]) => a - b).map(([s, envelopes]) => ({ sheets: s, envelopes })),
    discounts: {
      barcodePieces: withBarcode,
      barcodeDiscountCount: withBarcode >= BARCODE_DISCOUNT_PIECES,
      presorted,
      presortCount: presorted && count >= PRESORT_DISCOUNT_PIECES,
    },
  };
}

/** Districts are 3 digits, so text order is number order; `none` is no district and comes last. */
function districtOrder(a: string, b: string): number {
  if (a === NO_DISTRICT || b === NO_DISTRICT) return Number(a === NO_DISTRICT) - Number(b === NO_DISTRICT);
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkCreatedAt(createdAt: string): void {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    throw new PrintError('INVALID_INPUT', `mailing summary: run.createdAt must be an ISO 8601 date and time, received "${createdAt}"`);
  }
}

function checkEnvelope(e: SummaryEnvelope, position: number): void {
  const problem = envelopeProblem(e);
  if (problem) throw new PrintError('INVALID_INPUT', `mailing summary: envelope ${position}: ${problem}`);
}

/** What is wrong with an envelope, or undefined. Says what was received without repeating a postal code. */
function envelopeProblem(e: SummaryEnvelope): string | undefined {
  if (e.postalCode !== null && !/^\d{7}$/.test(e.postalCode)) {
    const received = typeof e.postalCode === 'string' ? `${e.postalCode.length} characters` : typeof e.postalCode;
    return `postalCode must be 7 digits or null, received ${received}`;
  }
  if (!Number.isInteger(e.sheets) || e.sheets < 1) return `sheets must be a whole number of 1 or more, received ${String(e.sheets)}`;
  if (!Number.isInteger(e.records) || e.records < 1) return `records must be a whole number of 1 or more, received ${String(e.records)}`;
  if (typeof e.barcode !== 'boolean') return `barcode must be true or false, received ${typeof e.barcode}`;
  // The カスタマバーコード encodes the postal code: an envelope without one cannot carry it.
  if (e.barcode && e.postalCode === null) return 'barcode is true but postalCode is null';
  return undefined;
}
