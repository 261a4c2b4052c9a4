// The proof diff's batches: pairings whose pages are read, and rasterized, together.
import type { Pairing, ProofRecord } from './align.ts';

/** Pages rasterized in one process, per proof: small enough that a batch's files stay a few dozen MB. */
const BATCH_PAGES = 24;

/** Pairings compared together: their pages, consecutive in each proof (null: none on that side). */
export interface Batch {
  items: Pairing[];
  ref: [number, number] | null;
  cand: [number, number] | null;
}

/** The pages of a record of one proof, in order; none when it printed nothing or is not there. */
export const pagesOf = (r: ProofRecord | undefined): number[] =>
  r?.pages ? Array.from({ length: r.pages[1] - r.pages[0] + 1 }, (_, i) => (r.pages as [number, number])[0] + i) : [];

/** Cuts the pairings into batches whose pages are consecutive in each proof. */
export function batchesOf(pairings: readonly Pairing[]): Batch[] {
  const out: Batch[] = [];
  let cur: Batch | undefined;
  const fits = (range: [number, number] | null, pages: number[]) =>
    pages.length === 0 || range === null || (pages[0] === range[1] + 1 && (pages.at(-1) as number) - range[0] < BATCH_PAGES);
  const extend = (range: [number, number] | null, pages: number[]): [number, number] | null =>
    pages.length === 0 ? range : [range ? range[0] : (pages[0] as number), pages.at(-1) as number];
  for (const p of pairings) {
    const rp = pagesOf(p.reference);
    const cp = pagesOf(p.candidate);
    if (!cur || !fits(cur.ref, rp) || !fits(cur.cand, cp)) {
      cur = { items: [], ref: null, cand: null };
      out.push(cur);
    }
    cur.items.push(p);
    cur.ref = extend(cur.ref, rp);
    cur.cand = extend(cur.cand, cp);
  }
  return out;
}
