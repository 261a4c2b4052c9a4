// The engine's one face: what the CLI, the server and the tests may use. Everything else is private.
export { Engine } from './render.ts';
export { summarizeLayout, ENGINE_DEFAULTS } from './render-options.ts';
export { forEachLimited } from './concurrency.ts';
export { loadEngineInsurers } from './layouts/layout-insurers.ts';
export { loadInsurers, Insurers, NO_INSURERS, DEFAULT_INSURERS_DIR, SAMPLE_INSURERS_DIR, DEFAULT_CARD_CODE } from './insurers/profiles.ts';
export type {
  EngineOptions,
  RenderOptions,
  RenderResult,
  RenderProgress,
  LayoutSummary,
  RenderPageOptions,
  RenderedPage,
} from './render-options.ts';
export type { RestartReason } from './browser/supervisor.ts';
export type { RecordPages, RenderSummary } from './output/summary.ts';
export type { FieldMapSide } from './output/field-map.ts';
export { PdfWriter } from './pdf/pdf-writer.ts';
export type { PdfSink } from './pdf/pdf-writer.ts';
export { PrintError, describeProblem, throwIfCancelled } from './errors.ts';
export type { PrintErrorCode, RecordProblem } from './errors.ts';
export { loadLayouts, loadLayoutsLeniently, loadLayout, loadSamples, getLayout, LAYOUTS_DIR } from './layouts/layouts.ts';
export { sourceProblems, templateRunProblem, arrayElementPosition } from './layouts/problems.ts';
export type { LayoutProblem } from './layouts/problems.ts';
export { scaffoldLayout } from './layouts/scaffold.ts';
export { layoutImageProblems } from './layouts/layout-images.ts';
export type { ScaffoldOptions, Scaffolded } from './layouts/scaffold.ts';
export type { Layout } from './layouts/layouts.ts';
export type { FieldFit } from './browser/fit-fields.ts';
export { validateRecords, triageRecords, checkInputRecord } from './validate/validate.ts';
export type { CheckOptions } from './validate/validate.ts';
export type { InsuranceRecord } from './records/schema.ts';
export { recordSchema } from './records/schema.ts';
export { FIELDS } from './records/fields.ts';
export { addressCodes } from './mail/address-codes.ts';
export type { AddressCodes, MailingFields } from './mail/address-codes.ts';
export { loadEnvelopes, getEnvelope, windowOnSheet, blockArea, DEFAULT_ENVELOPE } from './mail/envelopes.ts';
export { calibrationSheet } from './mail/calibration-sheet.ts';
export { extractAddressNumber, normalizeAddress, kanjiNumber } from './mail/address-number.ts';
export {
  addressChars,
  barKinds,
  barRects,
  checkChar,
  decodeBars,
  symbolChars,
  BAR_COUNT,
  BAR_SIZES_10PT,
  BARCODE_POINTS,
} from './mail/customer-barcode.ts';
export type { BarKind, BarRect, BarcodeChar } from './mail/customer-barcode.ts';
export { isRepresentative, isRepresentativeCode, townsOf } from './mail/postal-data.ts';
export type { PostalTown } from './mail/postal-data.ts';
export { readRecords, readRecordsFile, parseRecords, formatOfPath, UnreadableRecord, RECORD_LIMITS } from './records/read.ts';
export type { RecordFormat } from './records/read.ts';
export { rasterizePdf, rasterizePdfFile, pixelsFor } from './png/rasterize.ts';
export type { RasterizeOptions, PageSize } from './png/rasterize.ts';
export type { PngMode } from './png/finish-png.ts';
export { writePdfOutput, writePngOutput, pngName } from './output/write.ts';
export { parseOutputOptions, describeOutput } from './output/options.ts';
export { OFFICE_OUTPUT } from './output/target.ts';
export type { OutputOptions, Placement } from './output/target.ts';
export { outputPageSize } from './output/page-size.ts';
export { outputTarget } from './output/output-target.ts';
export { writeOutput } from './output/output-stage.ts';
export { mergeFieldMaps } from './output/field-map.ts';
export { planSheet, backSlot, parseSheet } from './output/sheet-plan.ts';
export { writeManifest, manifestRecord } from './output/manifest.ts';
export { renderMailRun, planMailing, mailCarrier, checkMailable, keptNumbers, registeredOf, MAIL_SHEET_MM } from './mail-run.ts';
export { matchingCode, parseMatchingCode, runIdOf, RUN_ID } from './mail/matching-code.ts';
export { parseBand, takeNumbers, rangesOf, REGISTERED_KINDS } from './mail/number-band.ts';
export type { InquiryBand, RegisteredKind, UsedRange } from './mail/number-band.ts';
export { NumberStore, NUMBER_STORE_FILE } from './mail/number-store.ts';
export type { TakenNumbers } from './mail/number-store.ts';
export { parseInquiry, formatInquiry, inquiryCheckDigit } from './records/inquiry-number.ts';
export type { InquiryNumber } from './records/inquiry-number.ts';
export type { MatchingCode } from './mail/matching-code.ts';
export { verifyScans } from './mail/verify-scans.ts';
export type { ManifestEnvelope, ScanProblem, ScanReport } from './mail/verify-scans.ts';
export type { MailRunOptions, MailRunSummary } from './mail-run.ts';
export { MAIL_MODES } from './mail/envelope-plan.ts';
export type { MailMode, MailSort, PlannedEnvelope } from './mail/envelope-plan.ts';
export { writeMailingSummary, summaryOfEnvelopes } from './output/mailing-files.ts';
export type { MailingSummary } from './mail/mailing-summary.ts';
export { mailingSummaryPdf } from './mail/mailing-summary-pdf.ts';
export { receiptList, receiptCsv, registeredRun, senderSettings, weightClassLabel, WEIGHT_CLASSES } from './mail/receipt-list.ts';
export type { ReceiptList, ReceiptManifest, ReceiptRow, ReceiptSettings, WeightClass } from './mail/receipt-list.ts';
export { receiptListPdf, receiptPageCount, RECEIPT_ROWS_PER_PAGE } from './mail/receipt-list-pdf.ts';
export { writeReceiptList, receiptCsvPath } from './output/receipt-files.ts';
export type { ReceiptListWritten } from './output/receipt-files.ts';
export { returnedPieces } from './mail/returned-pieces.ts';
export type { ReturnableEnvelope, ReturnedPieces } from './mail/returned-pieces.ts';
export type { EnvelopeOutput, RegisteredRun } from './output/summary.ts';
export type { Manifest } from './output/manifest.ts';
export { toWareki, formatWareki } from './format/wareki.ts';
export { insurerCheckDigit, isValidInsurerNumber } from './records/insurer-number.ts';
export { parseIsoDate, ageOn } from './records/dates.ts';
export { verifyFonts, readPinnedFonts } from './fonts/fonts.ts';
export { chromiumPath, CHROMIUM_ARGS } from './browser/chromium.ts';
export { makeOwnedTempDir, sweepOrphans } from './orphans.ts';
export { printReference } from './browser/reference-print.ts';
export type { ReferenceRun } from './browser/reference-print.ts';
export type { StepTime } from './step-times.ts';
export { staticLeaks, otherPerson, type StaticLeak } from './static-check.ts';
