// The QA tools' one face: the pixel comparator, golden check, proof diff and their report.
export { compareImages, EXACT, VISIBLE, VISIBLE_TONE_LEVELS } from './compare.ts';
export type { RgbaImage, PixelRect, CompareRule, Comparison } from './compare.ts';
export { decodePng, encodePng } from './png.ts';
export { checkGoldens, currentEnvironment, goldenDpi, GOLDEN_DIR, RECEIPT_LIST_GOLDEN } from './golden.ts';
export type { GoldenOptions, GoldenEnvironment, GoldenUpdate } from './golden.ts';
export { diffProofs, pagesNote } from './proof-diff.ts';
export type { DiffOptions, DiffOutcome, PageCounts } from './proof-diff.ts';
export { parseMask } from './masks.ts';
export type { Mask } from './masks.ts';
export { RunReport } from './run-report.ts';
export type { ReportEntry, ReportView, Change, ReportSummary } from './run-report.ts';
export { writeReport } from './report.ts';
export type { Report, ReportPage } from './report.ts';
