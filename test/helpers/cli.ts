// Runs the shikaku-print command as an operator would: a child process, its exit status and output.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../../bin/shikaku-print.js', import.meta.url).pathname;

/** Runs `shikaku-print ...args`; never throws on a non-zero exit. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
