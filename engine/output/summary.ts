import type { FieldFit } from '../browser/fit-fields.ts';
import type { FieldMapSide } from './field-map.ts';
import type { RecordOutput } from './target.ts';
import type { RegisteredKind } from '../mail/number-band.ts';

/** Where each input record's pages are in the output: record and pages 1-based, pages inclusive. */
export interface RecordPages extends RecordOutput {
  /** The record's key (record-key.ts): its `ref`, or its insurance numbers. */
  key?: string;
  /** A mailing run: the envelope (1-based, output order) the record travels in. */
  envelope?: number;
}

/** One envelope of a mailing run's output (docs/spec/interfaces.md, Mailing: the manifest's `envelopes`). */
export interface EnvelopeOutput {
  /** 1-based, in output order. */
  envelope: number;
  /** 1-based input record numbers, in print order. */
  records: number[];
  pages: [number, number];
  /** Sheets of paper in the envelope (what the 差出票's weight class needs). */
  sheets: number;
  postalCode: string;
  /** `POSTAL NUMBER CD`, or null with `reason`. */
  barcode: string | null;
  reason?: string;
  /** The matching code of each sheet, in order (`RUN.ENVELOPE.SHEET.SHEETS`). */
  codes: string[];
  /** A registered run: the piece's お問い合わせ番号 as printed (131-12-38385-2). */
  registeredNumber?: string;
  /** A registered run: the addressee with 様 or 御中, and the address in one line, as on the piece (the receipt list's rows). */
  addressee?: string;
  address?: string;
}

/** A registered run as its manifest names it (docs/spec/interfaces.md, Mailing: `registered`). */
export interface RegisteredRun {
  kind: RegisteredKind;
  /** 簡易書留, 特定記録 or 一般書留. */
  label: string;
  /** The sender's 保険者番号 (the insurer of the run's records), or null when they carry none. */
  insurerNumber: string | null;
  /** The run's lowest and highest number, as printed. */
  first: string;
  last: string;
  count: number;
}

/** What a render produced: the page map of the PDF written to the sink. */
export interface RenderSummary {
  layout: string;
  pageCount: number;
  records: RecordPages[];
  /** With RenderOptions.fitting: every fixed box of every page and what fitting did to it. */
  fitting?: FieldFit[];
  /** With RenderOptions.fieldMap: where the fixed boxes are on each page of a record. */
  fieldMap?: FieldMapSide[];
  /** A mailing run (engine/mail-run.ts): its envelopes in output order. */
  envelopes?: EnvelopeOutput[];
  /** A registered mailing run: its kind and numbers. */
  registered?: RegisteredRun;
}
