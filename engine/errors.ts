/** One problem of one input record: which record, which field, what was expected and what came. */
export interface RecordProblem {
  /** 1-based position of the record in the input, as in messages and output file names. */
  record: number;
  /** How an operator finds the record: its position and, when present, 記号/番号. */
  recordLabel: string;
  /** Field path, e.g. `birthDate`. */
  path: string;
  /** The field's name as printed on the document, e.g. 生年月日. */
  label: string;
  /** What was expected and what was received. */
  message: string;
}

/**
 * The fixed set of failure kinds, for the engine and for the programs built on it; only the edges map
 * them to exit codes (cli/report.ts) and HTTP statuses (server/problem.ts), each in one table.
 */
export type PrintErrorCode =
  | 'INVALID_INPUT' // the records (or the file holding them) are wrong: fix the input
  | 'UNKNOWN_LAYOUT' // no layout with that id
  | 'SETUP' // the machine lacks Chromium, poppler or a pinned font, or a font's checksum differs
  | 'RENDER' // Chromium or the PDF step failed
  | 'CANCELLED' // the caller's AbortSignal stopped the work (its time limit passed, its client left)
  | 'BAD_REQUEST' // a request that cannot be read as asked: its options, headers, or a body's structure
  | 'UNSUPPORTED_BODY' // a body of a media type the call does not take
  | 'REFUSED' // a request understood and refused: a callbackUrl not allowed, a reused Idempotency-Key …
  | 'TOO_LARGE' // a body or a batch past its limit
  | 'NOT_FOUND' // no such job or route
  | 'NOT_FINISHED' // the job's files are not there yet
  | 'GONE' // it was there, and was deleted meanwhile
  | 'BAD_RANGE' // a part of a file that is not within it
  | 'UNAUTHORIZED' // no key, or a wrong one
  | 'BUSY' // the render queue is full: retry later
  | 'TIMED_OUT' // a render passed its time limit
  | 'UNAVAILABLE' // not ready yet, or stopping
  | 'DISK_FULL'; // the data folder lacks room: an operator has to act

/** What a PrintError may carry besides its code and message. */
export interface PrintErrorOptions {
  problems?: readonly RecordProblem[];
  /** How many problems there are in all, when `problems` holds only the first of them. */
  problemCount?: number;
  /** When the caller may try again, in seconds (BUSY, DISK_FULL …). */
  retryAfterS?: number;
  /** Facts for the log, never a record's value (a limit, the room that is missing). */
  facts?: Record<string, string | number>;
  cause?: unknown;
}

/** The one error type of the engine and of the programs built on it. */
export class PrintError extends Error {
  readonly code: PrintErrorCode;
  readonly problems: readonly RecordProblem[];
  readonly problemCount: number;
  readonly retryAfterS: number | undefined;
  readonly facts: Record<string, string | number>;

  constructor(code: PrintErrorCode, message: string, options: PrintErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrintError';
    this.code = code;
    this.problems = options.problems ?? [];
    this.problemCount = options.problemCount ?? this.problems.length;
    this.retryAfterS = options.retryAfterS;
    this.facts = options.facts ?? {};
  }
}

/**
 * The error of work stopped through its AbortSignal. It is its own code, not RENDER, so that nobody retries
 * it or blames the browser for it: the engine did nothing wrong, its caller stopped waiting.
 */
export function cancelledError(signal?: AbortSignal): PrintError {
  return new PrintError(
    'CANCELLED',
    'the render was cancelled before it finished',
    signal?.reason === undefined ? {} : { cause: signal.reason },
  );
}

/** Throws the cancellation error when `signal` has already aborted: call it before each step of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

/** Formats a problem as one line an operator can act on. */
export function describeProblem(p: RecordProblem): string {
  return `${p.recordLabel}: ${p.label} (${p.path}): ${p.message}`;
}
