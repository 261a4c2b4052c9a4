import { inspect } from 'node:util';
import { CommanderError } from 'commander';
import { PrintError, describeProblem, type PrintErrorCode } from '../engine/index.ts';

/** Exit status of the command line (docs/spec/interfaces.md): 0 done, 2 bad usage or invalid input, 1 any other failure. */
export const EXIT = { ok: 0, failure: 1, invalid: 2 } as const;

/**
 * The one table from error codes to exit statuses: 2 for what the operator gave wrong (the records, a
 * file, an option, a folder), 1 for what went wrong here.
 */
const EXIT_OF: Record<PrintErrorCode, number> = {
  INVALID_INPUT: EXIT.invalid,
  UNKNOWN_LAYOUT: EXIT.invalid,
  BAD_REQUEST: EXIT.invalid,
  UNSUPPORTED_BODY: EXIT.invalid,
  REFUSED: EXIT.invalid,
  TOO_LARGE: EXIT.invalid,
  NOT_FOUND: EXIT.invalid,
  BAD_RANGE: EXIT.invalid,
  SETUP: EXIT.failure,
  RENDER: EXIT.failure,
  CANCELLED: EXIT.failure,
  NOT_FINISHED: EXIT.failure,
  GONE: EXIT.failure,
  UNAUTHORIZED: EXIT.failure,
  BUSY: EXIT.failure,
  TIMED_OUT: EXIT.failure,
  UNAVAILABLE: EXIT.failure,
  DISK_FULL: EXIT.failure,
};

/** A wrong command line or a path that cannot be used: exits 2 with its message. */
export class UsageError extends Error {}

/** A wrong option or argument of a command: exits 2 with its message and the command's usage line. */
export class OptionError extends UsageError {}

/** How an error is reported: with the stack (`--debug`), under which usage line, on which stream. */
export interface ReportOptions {
  /** Also print the stack of the error and of its causes. */
  debug?: boolean | undefined;
  /** The usage line of the command that was given, shown under a wrong option. */
  usage?: string | undefined;
  stderr?: NodeJS.WritableStream | undefined;
}

/**
 * The one place that turns an error into what an operator reads and the exit status it means: one line
 * saying what is wrong (a wrong option adds the usage line; invalid records add one line each), never a
 * stack trace unless `--debug` asks for it.
 */
export function reportError(err: unknown, options: ReportOptions = {}): number {
  const stderr = options.stderr ?? process.stderr;
  const say = (line: string) => stderr.write(`shikaku-print: ${line}\n`);
  let status: number = EXIT.failure;
  if (err instanceof CommanderError) {
    // --help and --version end the parse with status 0; `help` was printed already when it is an error.
    if (err.exitCode === 0) return EXIT.ok;
    // One line: commander puts its "(Did you mean --format?)" on a line of its own.
    if (err.code !== 'commander.help') say(err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
    if (options.usage) stderr.write(`usage: ${options.usage}\n`);
    return EXIT.invalid;
  }
  if (err instanceof UsageError) {
    say(err.message);
    if (err instanceof OptionError && options.usage) stderr.write(`usage: ${options.usage}\n`);
    status = EXIT.invalid;
  } else if (err instanceof PrintError) {
    say(err.message);
    for (const p of err.problems) stderr.write(`  ${describeProblem(p)}\n`);
    status = EXIT_OF[err.code];
  } else {
    say(`unexpected failure: ${err instanceof Error ? err.message : String(err)}${options.debug ? '' : ' (--debug shows where)'}`);
  }
  if (options.debug) stderr.write(`${stackOf(err)}\n`);
  return status;
}

/** The stack of an error and of every cause under it. */
function stackOf(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 10; depth++) {
    lines.push(`${depth ? 'caused by: ' : ''}${e instanceof Error ? (e.stack ?? e.message) : inspect(e)}`);
    e = e instanceof Error ? e.cause : undefined;
  }
  return lines.join('\n');
}
