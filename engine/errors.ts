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

/** The fixed set of failure kinds; only the edges (CLI, HTTP) map them to exit codes and statuses. */
export type PrintErrorCode =
  | 'INVALID_INPUT' // the records (or the file holding them) are wrong: fix the input
  | 'UNKNOWN_LAYOUT' // no layout with that id
  | 'SETUP' // the machine lacks Chromium, poppler or a pinned font, or a font's checksum differs
  | 'RENDER' // Chromium or the PDF step failed
  | 'CANCELLED'; // the caller's AbortSignal stopped the work (its time limit passed, its client left)

/** The one error type of the engine. */
export class PrintError extends Error {
  readonly code: PrintErrorCode;
  readonly problems: readonly RecordProblem[];

  constructor(code: PrintErrorCode, message: string, options: { problems?: readonly RecordProblem[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrintError';
    this.code = code;
    this.problems = options.problems ?? [];
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
