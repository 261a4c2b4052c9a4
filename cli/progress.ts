// How far a long command is, on stderr: a bar with rate and ETA on a terminal, plain lines in a log.
import cliProgress from 'cli-progress';

/** How progress shows: a bar on a terminal, plain lines for a log (no terminal, or CI), or nothing (--quiet). */
export type ProgressMode = 'bar' | 'lines' | 'off';

/**
 * The mode for a stream: `off` when quiet; lines when the stream is no terminal or under CI (a CI log
 * that keeps every frame of a bar is unreadable); else a bar.
 */
export function progressMode(quiet: boolean, ci: boolean, stream: { isTTY?: boolean } = process.stderr): ProgressMode {
  if (quiet) return 'off';
  return stream.isTTY === true && !ci ? 'bar' : 'lines';
}

/** What a stage counts and how an amount of it reads. */
export interface StageOptions {
  /** The unit, plural, after the counts and in the rate (`records`, `pages`); none when left out. */
  unit?: string | undefined;
  /** How an amount reads (bytes as MiB); a whole number when left out. */
  amount?: ((n: number) => string) | undefined;
  /** When the stage's work began, if before the stage was shown (its rate and ETA count from then); now when left out. */
  startedAt?: number | undefined;
}

/** One stage of a command's work, with a known total. */
export interface Stage {
  /** Sets how much of the total is done. */
  update(done: number): void;
  /** Ends the stage (at most once): the bar stays with its last state; a log gets a last line if it completed. */
  end(): void;
}

/** How progress is written: where, by which clock, and how often a log gets a line with no tenth passed. */
export interface ProgressOptions {
  stream?: NodeJS.WritableStream | undefined;
  now?: (() => number) | undefined;
  lineEveryMs?: number | undefined;
}

const NO_STAGE: Stage = { update: () => undefined, end: () => undefined };

/**
 * The progress of one command, stage after stage (reading, rendering, PNG pages …); one stage at a time,
 * a new one ends the one before. In a log, a stage gets a line at each tenth of its total and at least
 * every `lineEveryMs` (5 s) while it runs, and one when it completes.
 */
export class Progress {
  private current: (Stage & { redraw(): void; clear(): void }) | undefined;
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => number;
  private readonly lineEveryMs: number;

  /** `command` heads every line of a log: `render: rendering 30/100 records (30%) …`. */
  constructor(
    private readonly command: string,
    private readonly mode: ProgressMode,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.lineEveryMs = options.lineEveryMs ?? 5000;
  }

  /** Starts a stage of `total` units named `name` (`rendering`), ending the current one. */
  stage(name: string, total: number, options: StageOptions = {}): Stage {
    this.end();
    if (this.mode === 'off') return NO_STAGE;
    const counter = new Counter(name, Math.max(0, total), options, this.now);
    this.current = this.mode === 'bar' ? this.barStage(counter) : this.lineStage(counter);
    return this.current;
  }

  /** Ends the current stage, if any. */
  end(): void {
    const stage = this.current;
    this.current = undefined;
    stage?.end();
  }

  /** Runs `write` (a line on stdout) so that it does not tear the bar: the bar is cleared, then drawn again below. */
  around(write: () => void): void {
    this.current?.clear();
    write();
    this.current?.redraw();
  }

  private lineStage(counter: Counter): Stage & { redraw(): void; clear(): void } {
    let tenth = 0;
    let lastLine = counter.startedAt;
    let ended = false;
    const line = (text: string) => {
      lastLine = this.now();
      this.stream.write(`${this.command}: ${text}\n`);
    };
    // A stage that stalls (a slow first chunk, a big page) still says it is alive.
    const timer = setInterval(
      () => {
        if (this.now() - lastLine >= this.lineEveryMs) line(counter.running());
      },
      Math.min(1000, this.lineEveryMs),
    );
    timer.unref();
    return {
      update: (done) => {
        counter.set(done);
        const t = Math.floor(counter.fraction() * 10);
        if (counter.complete()) return; // the end's line says it
        if (t > tenth || this.now() - lastLine >= this.lineEveryMs) {
          tenth = Math.max(tenth, t);
          line(counter.running());
        }
      },
      end: () => {
        if (ended) return;
        ended = true;
        clearInterval(timer);
        if (counter.complete()) line(counter.finished());
      },
      redraw: () => undefined,
      clear: () => undefined,
    };
  }

  private barStage(counter: Counter): Stage & { redraw(): void; clear(): void } {
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: '{stage} [{bar}] {percentage}% {counts} | {rate} | {when}',
        // What follows the bar takes some 60 columns: the bar gets what is left of the terminal's width.
        barsize: Math.max(10, Math.min(30, ((this.stream as { columns?: number }).columns ?? 80) - 64)),
        hideCursor: false,
        gracefulExit: false, // its SIGINT handler would keep Ctrl-C from stopping the command
        // true: the bar is cut to the terminal's width; false would switch the terminal's wrapping off
        // until the bar stops, and a command stopped with Ctrl-C would leave it off.
        linewrap: true,
        forceRedraw: true, // redrawn after around() cleared it
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => ({ stage: counter.name, counts: counter.counts(), rate: counter.rate(), when: `ETA ${counter.eta()}` });
    bar.start(counter.total, counter.done, payload());
    let ended = false;
    return {
      update: (done) => {
        counter.set(done);
        bar.update(counter.done, payload());
      },
      end: () => {
        if (ended) return;
        ended = true;
        bar.update(counter.done, { ...payload(), when: counter.complete() ? `in ${seconds(counter.elapsed())}` : 'stopped' });
        bar.stop();
      },
      // The bar keeps the cursor position it started at, to return there when it stops: after a line
      // written above it, that position is the bar's new line.
      redraw: () => {
        this.stream.write('\x1b7');
        bar.render();
      },
      clear: () => this.stream.write('\r\x1b[2K'),
    };
  }
}

/** A stage's counts and what follows from them: the share done, the rate, the time left. */
class Counter {
  done = 0;
  readonly startedAt: number;

  constructor(
    readonly name: string,
    readonly total: number,
    private readonly options: StageOptions,
    private readonly now: () => number,
  ) {
    this.startedAt = options.startedAt ?? now();
  }

  set(done: number): void {
    this.done = Math.min(this.total, Math.max(0, done));
  }
  fraction(): number {
    return this.total === 0 ? 1 : this.done / this.total;
  }
  complete(): boolean {
    return this.done >= this.total;
  }
  elapsed(): number {
    return (this.now() - this.startedAt) / 1000;
  }
  counts(): string {
    const amount = this.options.amount ?? String;
    return `${amount(this.done)}/${amount(this.total)}${this.options.unit ? ` ${this.options.unit}` : ''}`;
  }
  /** Units a second so far: `12.3 records/s`, `4.1 MiB/s`. */
  rate(): string {
    const perSecond = this.done / Math.max(this.elapsed(), 0.001);
    if (this.options.amount) return `${this.options.amount(perSecond)}/s`;
    return `${perSecond.toFixed(1)} ${this.options.unit ?? ''}/s`.replace(' /s', '/s');
  }
  /** The time left at the rate so far; `--` before anything is done. */
  eta(): string {
    if (this.complete()) return seconds(0);
    return this.done === 0 ? '--' : seconds(((this.total - this.done) * this.elapsed()) / this.done);
  }
  /** A log line while it runs: `rendering 30/100 records (30%), 12.3 records/s, about 6 s left`. */
  running(): string {
    const head = `${this.name} ${this.counts()} (${Math.floor(this.fraction() * 100)}%)`;
    return this.done === 0 ? `${head}, ${seconds(this.elapsed())} so far` : `${head}, ${this.rate()}, about ${this.eta()} left`;
  }
  /** The log line of a completed stage: `rendering 100/100 records (100%) in 8.1 s, 12.3 records/s`. */
  finished(): string {
    return `${this.name} ${this.counts()} (100%) in ${seconds(this.elapsed())}, ${this.rate()}`;
  }
}

/** A duration as a person reads it: `0.4 s`, `12 s`, `3 min 05 s`, `1 h 02 min`. */
function seconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/** An amount of bytes as a person reads it: `812 B`, `3.4 KiB`, `1.2 MiB`, `2.05 GiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
