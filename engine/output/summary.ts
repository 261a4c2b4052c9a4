import type { FieldFit } from '../browser/fit-fields.ts';
import type { FieldMapSide } from './field-map.ts';
import type { RecordOutput } from './target.ts';

/** Where each input record's pages are in the output: record and pages 1-based, pages inclusive. */
export interface RecordPages extends RecordOutput {
  /** The record's key (record-key.ts): its `ref`, or its insurance numbers. */
  key?: string;
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
}
