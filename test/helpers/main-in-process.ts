// Runs the shikaku-print command line in the test's own process: main(argv) of cli/main.ts, which returns
// the exit status (bin/shikaku-print.js only exits with it), with what it writes to stdout and stderr
// captured. As the binary would, minus a node start per run; for the exit status of the real binary, its
// signals and a terminal, use helpers/cli.ts.
import { main } from '../../cli/main.ts';
import type { CliRun } from './cli.ts';

/**
 * Makes `stream` keep what is written to it in `into` instead of writing it, until the returned function
 * puts its own write back.
 */
function keepIn(stream: NodeJS.WriteStream, into: string[]): () => void {
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  stream.write = (
    chunk: string | Uint8Array,
    encodingOrDone?: BufferEncoding | ((err?: Error | null) => void),
    done?: (err?: Error | null) => void,
  ) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
    if (callback) process.nextTick(callback);
    return true;
  };
  return () => (own ? Object.defineProperty(stream, 'write', own) : Reflect.deleteProperty(stream, 'write'));
}

let running = false;

/**
 * Runs `shikaku-print ...args` in this process: its exit status and what it wrote. One at a time, since
 * process.stdout and process.stderr are this process's own.
 */
export async function runMain(...args: string[]): Promise<CliRun> {
  if (running) throw new Error('runMain runs one command line at a time: it takes over process.stdout and process.stderr');
  running = true;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const restore = [keepIn(process.stdout, stdout), keepIn(process.stderr, stderr)];
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    for (const put of restore) put();
    running = false;
  }
}
