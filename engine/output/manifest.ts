import type { FieldMapSide } from './field-map.ts';
import type { EnvelopeOutput, RecordPages, RegisteredRun } from './summary.ts';
import type { Placement } from './target.ts';

/** One input record in a manifest that was printed: its key, pages and where they went (docs/spec/interfaces.md, Manifests). */
export interface ManifestRecord {
  record: number;
  key?: string;
  pages: [number, number];
  /** PNG output: the record's page files. */
  files?: string[];
  placements?: Placement[];
  /** Split output: the archive's file that holds the record. */
  file?: string;
  /** A mailing run: the envelope the record travels in. */
  envelope?: number;
}

/** One input record a job could not print, with every problem of it. */
export interface RejectedRecord {
  record: number;
  rejected: { path: string; message: string }[];
}

/** `PATH.manifest.json` of the CLI: for every input record, where its pages are. */
export interface Manifest {
  layout: string;
  format: 'pdf' | 'png';
  output: string;
  pageCount: number;
  dpi?: number;
  /** Where the fixed boxes are on each side (trim pages): the proof diff names changed fields by it. */
  fieldMap?: FieldMapSide[];
  records: ManifestRecord[];
  /** A mailing run: every envelope in output order (interfaces.md, Mailing). */
  envelopes?: EnvelopeOutput[];
  /** A registered mailing run: its kind, sender and numbers (interfaces.md, Mailing). */
  registered?: RegisteredRun;
}

/** A record's manifest entry from where the output stage put its pages (`files`: its PNG pages). */
export function manifestRecord(r: RecordPages, files?: string[]): ManifestRecord {
  return {
    record: r.record,
    ...(r.key ? { key: r.key } : {}),
    pages: [r.firstPage, r.lastPage],
    ...(files ? { files } : {}),
    ...(r.placements ? { placements: r.placements } : {}),
    ...(r.file ? { file: r.file } : {}),
    ...(r.envelope !== undefined ? { envelope: r.envelope } : {}),
  };
}

/** What a manifest holds: fields before the records, the records one by one, fields after them. */
export interface ManifestParts {
  head: Record<string, unknown>;
  count: number;
  record: (i: number) => ManifestRecord | RejectedRecord;
  tail?: Record<string, unknown>;
}

/** Lines of a manifest written at a time. */
const BATCH = 1000;

/**
 * Writes a manifest, the CLI's and a job's alike, one record a line and piece by piece: a 300,000-record
 * manifest is never one string. Fields whose value is undefined are left out.
 */
export function writeManifest(write: (text: string) => void, parts: ManifestParts): void {
  const lines: string[] = [];
  const put = (s: string) => {
    lines.push(s);
    if (lines.length >= BATCH) write(lines.splice(0).join(''));
  };
  const fields = (o: Record<string, unknown> = {}) =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
      .join('');
  const tail = fields(parts.tail);
  put(`{\n${fields(parts.head)}  "records": [\n`);
  for (let i = 0; i < parts.count; i++) put(`    ${JSON.stringify(parts.record(i))}${i + 1 < parts.count ? ',' : ''}\n`);
  put(`  ]${tail ? `,\n${tail.slice(0, -2)}` : ''}\n}\n`);
  write(lines.join(''));
}
