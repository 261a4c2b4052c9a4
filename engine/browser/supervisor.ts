import { EventEmitter } from 'node:events';
import type { Browser } from 'puppeteer-core';
import { PrintError, throwIfCancelled } from '../errors.ts';
import type { AssetServer } from './asset-server.ts';
import { launchChromium, killChromium } from './chromium.ts';
import { TabPool, type PrintDocument, type PrintedChunk, type PrintOptions, type VariableLayerWriter } from './tab-pool.ts';
import { CounterBatcher, type CounterBatchOptions } from './counter-batch.ts';
import type { StepTimes } from '../step-times.ts';

/** Why the browser was replaced. */
export type RestartReason = 'crashed' | 'failed' | 'scheduled';

/** How the supervisor runs its browser. */
export interface SupervisorOptions {
  tabs: number;
  counterTabs: number;
  freshTabAfterPages: number;
  timeoutMs: number;
  /** The Chromium binary (CHROME_PATH); /usr/bin/chromium when left out. */
  chromePath: string | undefined;
  /** Chunks one browser prints before it is replaced by a fresh one (memory hygiene). */
  restartAfter: number;
  /** Tries of one chunk; between tries the browser is killed and started again. */
  attempts: number;
  /** Counter prints that arrive together print in one call (counter-batch.ts). */
  counterBatch: CounterBatchOptions;
  /** The glyph writer of the variable layers (tab-pool.ts); left out, Chromium prints them. */
  writeVariableLayer?: VariableLayerWriter | undefined;
}

/** One running browser with its tabs. */
interface BrowserSession {
  browser: Browser;
  tabs: TabPool;
  printed: number;
}

/**
 * Keeps one Chromium with its tabs running for the engine. When the browser crashes, hangs past the time
 * limit or fails, it is killed with every process it started and a new one takes its place, and the chunk
 * is printed again; after `restartAfter` chunks it is replaced while the old one finishes its prints.
 * Emits 'restart' (RestartReason) each time.
 */
export class BrowserSupervisor extends EventEmitter {
  private session: BrowserSession | undefined;
  private restarting: Promise<void> | undefined;
  private closed = false;
  private readonly batcher: CounterBatcher;

  constructor(
    private readonly assets: AssetServer,
    private readonly fontconfig: string,
    private readonly options: SupervisorOptions,
    private readonly times: StepTimes,
  ) {
    super();
    this.batcher = new CounterBatcher((doc, o) => this.printAlone(doc, o), options.counterBatch);
  }

  /** Starts the first browser. */
  async start(): Promise<void> {
    this.session = await this.launch();
  }

  /** Whether a browser is up to print (false from a crash until its replacement runs). */
  isReady(): boolean {
    return !this.closed && this.session?.browser.connected === true;
  }

  /** The browser's operating-system process id. */
  pid(): number | undefined {
    return this.session?.browser.process()?.pid;
  }

  /** The browser's product and version, e.g. "Chrome/156.0.8078.79". */
  async version(): Promise<string> {
    if (this.restarting) await this.restarting;
    if (!this.session) throw new PrintError('RENDER', 'no browser is running');
    return this.session.browser.version();
  }

  /**
   * Prints one chunk, surviving the browser, up to `attempts` tries. A cancellation through `signal` is the
   * caller's choice, not a failure of the browser: it is thrown at once, with no retry and no restart.
   * Counter prints that arrive together are printed in one call (counter-batch.ts).
   */
  print(doc: PrintDocument, options: PrintOptions = {}): Promise<PrintedChunk> {
    return CounterBatcher.takes(options) ? this.batcher.print(doc, options) : this.printAlone(doc, options);
  }

  private async printAlone(doc: PrintDocument, options: PrintOptions): Promise<PrintedChunk> {
    for (let attempt = 1; ; attempt++) {
      if (this.restarting) await this.restarting.catch(() => undefined);
      throwIfCancelled(options.signal);
      const session = this.session;
      if (!session || this.closed) throw new PrintError('RENDER', 'the engine is closed');
      try {
        const printed = await session.tabs.print(doc, options);
        if (++session.printed === this.options.restartAfter) void this.replace(session, 'scheduled').catch(() => undefined);
        return printed;
      } catch (cause) {
        if (cause instanceof PrintError && cause.code === 'CANCELLED') throw cause;
        if (attempt >= this.options.attempts || this.closed) {
          throw new PrintError('RENDER', `Chromium failed ${attempt} times on one chunk: ${(cause as Error).message}`, { cause });
        }
        await this.replace(session, 'failed').catch(() => undefined);
      }
    }
  }

  /** Closes the browser and kills whatever of it is left. */
  async close(): Promise<void> {
    this.closed = true;
    await this.restarting?.catch(() => undefined);
    if (this.session) {
      await this.session.browser.close().catch(() => undefined);
      await killChromium(this.session.browser);
    }
    this.session = undefined;
  }

  private async launch(): Promise<BrowserSession> {
    const browser = await launchChromium(this.fontconfig, this.options.chromePath);
    try {
      const session: BrowserSession = {
        browser,
        tabs: await TabPool.open(browser, this.assets, this.options, this.times),
        printed: 0,
      };
      // A browser that dies between renders is replaced at once, so readiness comes back without traffic.
      browser.once('disconnected', () => {
        if (!this.closed && this.session === session) void this.replace(session, 'crashed').catch(() => undefined);
      });
      return session;
    } catch (err) {
      await killChromium(browser);
      throw err;
    }
  }

  /**
   * Replaces the browser of `old` (once, however many renders saw it fail). A failed or crashed browser is
   * killed with every process it started; a scheduled replacement lets the old one finish its prints.
   */
  private async replace(old: BrowserSession, reason: RestartReason): Promise<void> {
    if (this.session !== old) return this.restarting;
    if (!this.restarting) {
      this.restarting = (async () => {
        if (reason !== 'scheduled') await killChromium(old.browser);
        this.session = await this.launch();
        this.emit('restart', reason);
        if (reason === 'scheduled') void old.tabs.whenIdle().then(() => killChromium(old.browser));
      })().finally(() => {
        this.restarting = undefined;
      });
    }
    return this.restarting;
  }
}
