import { existsSync, readFileSync } from 'node:fs';
import { PrintError, type FieldMapSide } from '../engine/index.ts';

/** One record of a proof, as its manifest places it. */
export interface ProofRecord {
  /** 1-based input number. */
  record: number;
  /** The record's key; a key met again in the same manifest gets `#2`, `#3` … */
  key: string;
  /** First and last page, or null for a record that was rejected (nothing printed). */
  pages: [number, number] | null;
}

/** What a proof's manifest says: its records, and where the fixed boxes are on each side. */
export interface ProofManifest {
  path: string;
  layout?: string;
  fieldMap?: FieldMapSide[];
  records: ProofRecord[];
}

/** One unit of the diff: a record of both proofs, or of one (added, removed), or a page (page order). */
export interface Pairing {
  key: string;
  reference?: ProofRecord;
  candidate?: ProofRecord;
}

/** A manifest that cannot be used, or a proof's file that is not there (INVALID_INPUT: exit 2, one line). */
export const unusableInput = (message: string): PrintError => new PrintError('INVALID_INPUT', message);

interface ManifestFile {
  layout?: unknown;
  fieldMap?: unknown;
  records?: unknown;
}

/**
 * Reads a manifest (`render`'s `PATH.manifest.json` or a job's `/manifest`). Answers, as a string, why it
 * cannot align records when it cannot: records without `key` (a manifest of an older version), or imposed
 * sheets (a sheet holds many records); such proofs are compared page by page.
 */
export function readManifest(path: string): ProofManifest | string {
  if (!existsSync(path)) throw unusableInput(`${path}: no such manifest`);
  let data: ManifestFile;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as ManifestFile;
  } catch (err) {
    throw unusableInput(`${path}: not a manifest (${(err as Error).message})`);
  }
  if (!Array.isArray(data.records)) throw unusableInput(`${path}: not a manifest (it has no "records" list)`);
  const seen = new Map<string, number>();
  const records: ProofRecord[] = [];
  for (const [i, raw] of (data.records as unknown[]).entries()) {
    const r = raw as { record?: unknown; key?: unknown; pages?: unknown };
    if (typeof r.record !== 'number') throw unusableInput(`${path}: records[${i}] has no record number`);
    if (typeof r.key !== 'string') return `${path} has no record keys (made by an older version)`;
    if ((r as { placements?: unknown }).placements !== undefined) return `${path} is of imposed sheets, compared sheet by sheet`;
    const n = (seen.get(r.key) ?? 0) + 1;
    seen.set(r.key, n);
    const pages = Array.isArray(r.pages) && r.pages.length === 2 ? ([Number(r.pages[0]), Number(r.pages[1])] as [number, number]) : null;
    records.push({ record: r.record, key: n === 1 ? r.key : `${r.key}#${n}`, pages });
  }
  return {
    path,
    ...(typeof data.layout === 'string' ? { layout: data.layout } : {}),
    ...(Array.isArray(data.fieldMap) ? { fieldMap: data.fieldMap as FieldMapSide[] } : {}),
    records,
  };
}

/**
 * Matches the records of two runs by key, in the candidate's order: a record of both is one pairing, a
 * record only in the candidate is added, one only in the reference is removed and placed where it was
 * (before the next reference record the candidate also has). One record inserted is one `added`, whatever
 * follows it.
 */
export function alignByRecord(reference: readonly ProofRecord[], candidate: readonly ProofRecord[]): Pairing[] {
  const refIndex = new Map(reference.map((r, i) => [r.key, i]));
  const candKeys = new Set(candidate.map((c) => c.key));
  const out: Pairing[] = [];
  let nextRef = 0;
  const removedUpTo = (end: number) => {
    for (; nextRef < end; nextRef++) {
      const r = reference[nextRef] as ProofRecord;
      if (!candKeys.has(r.key)) out.push({ key: r.key, reference: r });
    }
  };
  for (const c of candidate) {
    const i = refIndex.get(c.key);
    if (i === undefined) {
      out.push({ key: c.key, candidate: c });
      continue;
    }
    if (i >= nextRef) removedUpTo(i);
    nextRef = Math.max(nextRef, i + 1);
    out.push({ key: c.key, reference: reference[i] as ProofRecord, candidate: c });
  }
  removedUpTo(reference.length);
  return out;
}

/** Pages matched by position: page n with page n, the key the page number. */
export function alignByPage(referencePages: number, candidatePages: number): Pairing[] {
  return Array.from({ length: Math.max(referencePages, candidatePages) }, (_, i) => {
    const n = i + 1;
    const page = (have: number): ProofRecord | undefined => (n <= have ? { record: n, key: String(n), pages: [n, n] } : undefined);
    const reference = page(referencePages);
    const candidate = page(candidatePages);
    return { key: String(n), ...(reference ? { reference } : {}), ...(candidate ? { candidate } : {}) };
  });
}
