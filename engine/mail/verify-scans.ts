// Checks what an inserting machine or a camera read against a mailing run's manifest (docs/spec/interfaces.md,
// Mailing: `mailing verify`): every envelope complete, in order, with nothing foreign in it. The scan log is
// one decoded matching code per line, in the order the sheets passed, continuous or envelope by envelope.
import { parseMatchingCode, type MatchingCode } from './matching-code.ts';

/** What can be wrong with an envelope (the report's `kind`). */
export type ScanProblemKind = 'missing-sheet' | 'foreign-sheet' | 'duplicate-sheet' | 'out-of-order' | 'not-seen';

/** One problem: its envelope, and the sheet it concerns (a number, or the foreign code as read). */
export interface ScanProblem {
  envelope: number;
  kind: ScanProblemKind;
  sheet?: number | string;
}

/** The report of a verification (interfaces.md: `DIR/report.json`). */
export interface ScanReport {
  summary: { envelopes: number; complete: number; problems: number };
  problems: ScanProblem[];
}

/** An envelope as the manifest lists it. */
export interface ManifestEnvelope {
  envelope: number;
  records: number[];
  codes: string[];
}

/** A scan read back: its code, or the text that was no code. */
type Scan = { code: MatchingCode; text: string } | { code: null; text: string };

/**
 * Checks the scans against the envelopes. Scans are split into passes, each a run of sheets of one
 * envelope; a sheet that belongs to no envelope of the run (another run, an unknown envelope, a code
 * that does not read), or that stands between two passes of one envelope, is foreign to the envelope
 * being filled. Per envelope, every sheet must pass once, in order.
 */
export function verifyScans(envelopes: readonly ManifestEnvelope[], lines: readonly string[]): ScanReport {
  const byNumber = new Map(envelopes.map((e) => [e.envelope, e]));
  const known = new Set(envelopes.flatMap((e) => e.codes));
  const scans: Scan[] = lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((text) => {
      const code = known.has(text) ? parseMatchingCode(text) : null;
      return code ? { code, text } : { code: null, text };
    });
  const problems: ScanProblem[] = [];
  // The sheets each envelope received, in the order they passed.
  const received = new Map<number, number[]>();
  let filling: number | undefined; // the envelope whose sheets are passing now
  const passes = new Map<number, number>(); // how many separate passes each envelope had
  for (const scan of scans) {
    if (!scan.code) {
      problems.push({ envelope: filling ?? 0, kind: 'foreign-sheet', sheet: scan.text });
      continue;
    }
    const { envelope, sheet } = scan.code;
    if (envelope !== filling) {
      passes.set(envelope, (passes.get(envelope) ?? 0) + 1);
      // A sheet of another envelope between two passes of this one: it went into this envelope's stack.
      if ((passes.get(envelope) ?? 0) > 1 && filling !== undefined)
        problems.push({ envelope, kind: 'foreign-sheet', sheet: lastText(scans, scan) });
      filling = envelope;
    }
    received.set(envelope, [...(received.get(envelope) ?? []), sheet]);
  }
  for (const e of envelopes) {
    const got = received.get(e.envelope);
    if (!got) {
      problems.push({ envelope: e.envelope, kind: 'not-seen' });
      continue;
    }
    const sheets = e.codes.length;
    const seen = new Set<number>();
    for (const [i, sheet] of got.entries()) {
      if (seen.has(sheet)) problems.push({ envelope: e.envelope, kind: 'duplicate-sheet', sheet });
      else if (i > 0 && sheet < Math.max(...got.slice(0, i))) problems.push({ envelope: e.envelope, kind: 'out-of-order', sheet });
      seen.add(sheet);
    }
    for (let s = 1; s <= sheets; s++) if (!seen.has(s)) problems.push({ envelope: e.envelope, kind: 'missing-sheet', sheet: s });
  }
  problems.sort((a, b) => a.envelope - b.envelope);
  const bad = new Set(problems.map((p) => p.envelope));
  const complete = envelopes.filter((e) => !bad.has(e.envelope) && byNumber.has(e.envelope)).length;
  return { summary: { envelopes: envelopes.length, complete, problems: problems.length }, problems };
}

/** The text of the scan just before `scan`: the sheet that stood between two passes of one envelope. */
function lastText(scans: readonly Scan[], scan: Scan): string {
  const i = scans.indexOf(scan);
  return scans[i - 1]?.text ?? '';
}
