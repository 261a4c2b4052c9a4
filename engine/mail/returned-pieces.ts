// The pieces of a mailing run that came back (docs/spec/interfaces.md, Mailing: `mailing returns`): each line
// of what the post office returned names one piece by its お問い合わせ番号 (registered runs) or by a matching
// code of its envelope (any mailing run, `RUN.ENVELOPE.SHEET.SHEETS` or `RUN.ENVELOPE`); the answer is the
// envelopes they name, and the lines that name none, by line number.
import { formatInquiry, parseInquiry } from '../records/inquiry-number.ts';
import { parseMatchingCode } from './matching-code.ts';
import type { ManifestEnvelope } from './verify-scans.ts';

/** An envelope of a mailing run's manifest, with its お問い合わせ番号 in a registered run. */
export interface ReturnableEnvelope extends ManifestEnvelope {
  registeredNumber?: string | undefined;
}

/** What a list of returned pieces names. */
export interface ReturnedPieces {
  /** Lines that name a piece or try to (blank lines aside). */
  pieces: number;
  /** The envelopes named, in the manifest's order, each once. */
  envelopes: ReturnableEnvelope[];
  /** Lines that name no piece of the run: 1-based line number, the text, why. */
  unknown: { line: number; text: string; reason: string }[];
}

const ENVELOPE_CODE = /^([A-Z0-9]{4,8})\.(\d{6})$/;
const LOOKS_LIKE_NUMBER = /^[\d-]+$/;

/** The envelopes of `envelopes` that the lines name; blank lines skipped, each line trimmed. */
export function returnedPieces(envelopes: readonly ReturnableEnvelope[], lines: readonly string[]): ReturnedPieces {
  const byNumber = new Map<string, ReturnableEnvelope>();
  const byEnvelopeCode = new Map<string, ReturnableEnvelope>();
  const byCode = new Map<string, ReturnableEnvelope>();
  for (const e of envelopes) {
    if (e.registeredNumber !== undefined) byNumber.set(printedOrSelf(e.registeredNumber), e);
    for (const c of e.codes) {
      byCode.set(c, e);
      const m = parseMatchingCode(c);
      if (m) byEnvelopeCode.set(`${m.run}.${String(m.envelope).padStart(6, '0')}`, e);
    }
  }
  const named = new Set<ReturnableEnvelope>();
  const unknown: ReturnedPieces['unknown'] = [];
  let pieces = 0;
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '') return;
    pieces += 1;
    const found = LOOKS_LIKE_NUMBER.test(text) ? byNumberLine(text, byNumber) : byCodeLine(text, byCode, byEnvelopeCode);
    if ('envelope' in found) named.add(found.envelope);
    else unknown.push({ line: i + 1, text, reason: found.reason });
  });
  return { pieces, envelopes: envelopes.filter((e) => named.has(e)), unknown };
}

type Found = { envelope: ReturnableEnvelope } | { reason: string };

function byNumberLine(text: string, byNumber: ReadonlyMap<string, ReturnableEnvelope>): Found {
  let printed: string;
  try {
    printed = formatInquiry(parseInquiry(text));
  } catch (err) {
    return { reason: (err as Error).message };
  }
  const envelope = byNumber.get(printed);
  if (envelope) return { envelope };
  return {
    reason:
      byNumber.size === 0
        ? 'this run is not registered: it has no お問い合わせ番号'
        : `no piece of this run has お問い合わせ番号 ${printed}`,
  };
}

function byCodeLine(
  text: string,
  byCode: ReadonlyMap<string, ReturnableEnvelope>,
  byEnvelopeCode: ReadonlyMap<string, ReturnableEnvelope>,
): Found {
  const envelope = ENVELOPE_CODE.test(text) ? byEnvelopeCode.get(text) : byCode.get(text);
  if (envelope) return { envelope };
  const known = ENVELOPE_CODE.test(text) || parseMatchingCode(text) !== null;
  return {
    reason: known
      ? 'no envelope of this run has this matching code'
      : 'neither an お問い合わせ番号 (131-12-38385-2) nor a matching code (RUN.ENVELOPE.SHEET.SHEETS or RUN.ENVELOPE)',
  };
}

/** A manifest's number in its printed form (a hand-made manifest may hold the 11 digits). */
function printedOrSelf(number: string): string {
  try {
    return formatInquiry(parseInquiry(number));
  } catch {
    return number;
  }
}
