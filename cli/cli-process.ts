import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/shikaku-print.js', import.meta.url));

/** A log line of a shikaku-print process (pino JSON). */
export type LogLine = Record<string, unknown>;

/** A shikaku-print process run as an operator runs it (`serve`, `worker`), its log read as it comes. */
export interface CliProcess {
  child: ChildProcess;
  /** Its JSON log lines so far. */
  log: LogLine[];
  /** Every line it wrote to stderr so far (Chromium's own complaints share the stream). */
  stderr: string[];
  /** The first log line, past or to come, that `match`es; rejects if the process exits before it. */
  first(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** SIGTERM, as an operator stops it; answers its exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** Starts `shikaku-print ...args` with `env` as its whole environment (the benches and the tests). */
export function startCliProcess(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log: LogLine[] = [];
  const stderr: string[] = [];
  const waiting: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr.push(line);
    if (!line.startsWith('{')) return;
    const entry = JSON.parse(line) as LogLine;
    log.push(entry);
    for (const w of waiting.filter((x) => x.match(entry))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(entry);
    }
  });
  return {
    child,
    log,
    stderr,
    first: (match) =>
      new Promise<LogLine>((resolve, reject) => {
        const seen = log.find(match);
        if (seen) return resolve(seen);
        child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}) first: ${stderr.slice(-20).join('\n')}`)));
        waiting.push({ match, resolve });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
