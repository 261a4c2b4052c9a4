import type { InsuranceRecord } from '../records/schema.ts';
import { parseIsoDate } from '../records/dates.ts';
import { formatWareki, toWareki, eraYearText } from './wareki.ts';
import { fontForText, type GlyphCoverage } from '../fonts/glyph-coverage.ts';
import { qrCodeSvg, TrustedHtml } from './qr-code.ts';
import { CARD_CODE_QR, cardCodeOf, DEFAULT_PORTAL_URL, type QrSize } from '../validate/codes.ts';
import { NO_INSURERS, type Insurers } from '../insurers/profiles.ts';
import type { AddressBlock } from '../mail/address-block.ts';
import { mailValues, type MailValues } from './mail-block.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text that must be set wholly in IPAmj Mincho, because only that face has the right glyph for one of its
 * variation sequences. Templates print it like any value: it follows Handlebars' SafeString protocol
 * (`toHTML`), escaping its own text and marking it with the class the engine's stylesheet sets in IPAmj.
 */
export class MjText {
  constructor(readonly text: string) {}
  toHTML(): string {
    return `<span class="glyph-mj">${this.text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)}</span>`;
  }
  toString(): string {
    return this.text;
  }
}

/** A printed text value: plain, or set in the MJ face. */
export type PrintedText = string | MjText;

/** A date as the templates print it: whole (令和8年7月31日) or in parts for boxed forms. */
export interface PrintedDate {
  text: string;
  era: string;
  year: string;
  month: string;
  day: string;
}

/** What a template sees of one record: every value already in its printed form. */
export interface PrintValues {
  index: number;
  insurerNumber: string;
  insurerName: PrintedText;
  prefecture: PrintedText;
  insurerAddress: PrintedText;
  symbol: PrintedText;
  number: string;
  branch: string;
  name: PrintedText;
  nameKana: PrintedText;
  /** 性別 as printed in its box: 男, 女, or 裏面参照 when the holder asked for it on the back. */
  sex: string;
  /** The 備考 line for sexOnBack: 戸籍上の性別は男 (or 女). */
  sexRemark: string;
  birthDate: PrintedDate | null;
  householderName: PrintedText;
  address: PrintedText;
  qualifiedDate: PrintedDate | null;
  issueDate: PrintedDate | null;
  expiryDate: PrintedDate | null;
  effectiveDate: PrintedDate | null;
  /** 負担割合 as the digit before 割, or empty when not printed. */
  copayRate: string;
  relationship: string;
  /** 本人（被保険者） or 家族（被扶養者）, as the 健康保険 card prints it. */
  relationshipLabel: string;
  specialCare: boolean;
  remarks: PrintedText;
  /** 加入者情報: the last 4 digits of the My Number, or null when it is not registered. */
  myNumberLast4: string | null;
  /** The QR code to the My Number portal (notices only; null on cards). */
  portalQr: TrustedHtml | null;
  /** The 二次元コード with the insurance numbers (layouts that print one; else null). */
  cardCode: TrustedHtml | null;
  /** The insurer's seal from its profile, as an image; null when none is configured (nothing prints). */
  seal: TrustedHtml | null;
  /** The insurer's 問い合わせ先 from its profile; null when it has none (the block is left out). */
  contact: { department: PrintedText; address: PrintedText; telephone: PrintedText; hours: PrintedText } | null;
  /** The insurer's accent colour (#rrggbb) for title rules; black without a profile. */
  accent: string;
  /** The 宛名 block (layouts/_shared/address-block.hbs); null when the record is not mailed in this document. */
  mail: MailValues | null;
}

/** What of a record's print values a layout asks for, and where insurer settings come from. */
export interface PrintValueOptions {
  /** Make the portal QR code (notices), at this size. */
  qrCode: QrSize | false;
  /** Make the card's 二次元コード. */
  cardCode?: boolean;
  insurers?: Insurers;
  /** The 宛名 block of a record, when the layout prints one and the record is mailed in it. */
  addressBlock?: ((r: InsuranceRecord) => AddressBlock | null) | undefined;
}

function printedDate(iso: string | undefined): PrintedDate | null {
  if (iso === undefined) return null;
  const d = parseIsoDate(iso);
  if (!d) throw new RangeError(`not a calendar date: ${iso}`);
  const w = toWareki(d);
  return { text: formatWareki(d), era: w.era, year: eraYearText(w.eraYear), month: String(w.month), day: String(w.day) };
}

/** Turns a validated record into the values its template prints. */
export function toPrintValues(r: InsuranceRecord, index: number, coverage: GlyphCoverage, options: PrintValueOptions): PrintValues {
  const profile = (options.insurers ?? NO_INSURERS).get(r.insurerNumber);
  const text = (value: string | undefined): PrintedText => {
    if (value === undefined) return '';
    const verdict = fontForText(value, coverage);
    return 'font' in verdict && verdict.font === 'mj' ? new MjText(value) : value;
  };
  return {
    index,
    insurerNumber: r.insurerNumber ?? '',
    insurerName: text(r.insurerName),
    prefecture: text(r.prefecture),
    insurerAddress: text(r.insurerAddress),
    symbol: text(r.symbol),
    number: r.number ?? '',
    branch: r.branch ?? '',
    name: text(r.name),
    nameKana: text(r.nameKana),
    sex: r.sexOnBack ? '裏面参照' : (r.sex ?? ''),
    sexRemark: r.sexOnBack && r.sex ? `戸籍上の性別は${r.sex}` : '',
    birthDate: printedDate(r.birthDate),
    householderName: text(r.householderName),
    address: text(r.address),
    qualifiedDate: printedDate(r.qualifiedDate),
    issueDate: printedDate(r.issueDate),
    expiryDate: printedDate(r.expiryDate),
    effectiveDate: printedDate(r.effectiveDate),
    copayRate: r.copayRate === undefined ? '' : String(r.copayRate),
    relationship: r.relationship ?? '',
    relationshipLabel: { 本人: '本人（被保険者）', 家族: '家族（被扶養者）', '': '' }[r.relationship ?? ''],
    specialCare: r.specialCare ?? false,
    remarks: text(r.remarks),
    myNumberLast4: r.myNumberLast4 ?? null,
    portalQr: options.qrCode ? qrCodeSvg(r.portalUrl ?? DEFAULT_PORTAL_URL, options.qrCode) : null,
    cardCode: options.cardCode ? qrCodeSvg(cardCodeOf(r, profile?.cardCode), CARD_CODE_QR) : null,
    seal: profile?.seal ? new TrustedHtml(`<img class="seal-image" src="${profile.seal.urlPath}" alt="">`) : null,
    contact: profile?.contact
      ? {
          department: text(profile.contact.department),
          address: text(profile.contact.address),
          telephone: text(profile.contact.telephone),
          hours: text(profile.contact.hours),
        }
      : null,
    accent: profile?.accent ?? '#000000',
    mail: mailOf(r, coverage, options),
  };
}

function mailOf(r: InsuranceRecord, coverage: GlyphCoverage, options: PrintValueOptions): MailValues | null {
  const block = options.addressBlock?.(r);
  return block ? mailValues(block, coverage) : null;
}
