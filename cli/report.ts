import { PrintError, describeProblem } from '../engine/index.ts';

/** Exit status of the command line (interfaces.md): 0 done, 2 invalid input, 1 any other failure. */
export const EXIT = { ok: 0, failure: 1, invalid: 2 } as const;

/** A wrong command line: exits 2 with its message and the usage. */
export class UsageError extends Error {}

/** Prints an error for an operator and returns the exit status it means. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof UsageError) {
    stderr.write(`shikaku-print: ${err.message}\n`);
    return EXIT.invalid;
  }
  if (err instanceof PrintError) {
    stderr.write(`shikaku-print: ${err.message}\n`);
    for (const p of err.problems) stderr.write(`  ${describeProblem(p)}\n`);
    return err.code === 'INVALID_INPUT' || err.code === 'UNKNOWN_LAYOUT' ? EXIT.invalid : EXIT.failure;
  }
  stderr.write(`shikaku-print: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}
