// Runs the shikaku-print command as an operator would: a child process, its exit status and output.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../../bin/shikaku-print.js', import.meta.url).pathname;

/** What a run of the command gave. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `shikaku-print ...args` with its output on pipes (as in a log); never throws on a non-zero exit. */
export function cli(...args: string[]): Promise<CliRun> {
  return cliWith({}, ...args);
}

/** `cli` with `env` added to the environment. */
export async function cliWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const quoted = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `shikaku-print ...args` on a terminal, as an operator at one sees it: util-linux `script` gives it a
 * pseudo-terminal for stdout and stderr, whose bytes (escape sequences included) come back as `stdout`.
 * `env` is added to the environment, from which CI is removed unless `env` sets it.
 */
export async function cliOnTerminal(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const command = [process.execPath, BIN, ...args].map(quoted).join(' ');
  const { CI: _ci, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], {
      encoding: 'utf8',
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
