import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Engine, loadLayouts, type EngineOptions } from '../engine/index.ts';
import { createApp } from './app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { RenderQueue } from './render-queue.ts';
import { JobStore } from './jobs/job-store.ts';
import { JobRunner } from './jobs/job-runner.ts';

/** How the service runs; everything but the port has a default. */
export interface ServeOptions {
  port: number;
  host?: string;
  apiKeys: string[];
  /** Where jobs and their results are kept. */
  dataDir: string;
  log: Logger;
  engine: Partial<EngineOptions>;
  /** Synchronous renders waiting beyond the running ones before 429. */
  maxWaiting: number;
  /** Time limit of one synchronous render, queue wait included, before 503. */
  renderTimeoutMs: number;
  bodyLimit: string;
  jobBodyLimit: string;
}

export const SERVE_DEFAULTS: Omit<ServeOptions, 'port' | 'apiKeys' | 'log'> = {
  dataDir: resolve('data'),
  engine: {},
  maxWaiting: 16,
  renderTimeoutMs: 30_000,
  bodyLimit: '2mb',
  jobBodyLimit: '512mb',
};

/** The API keys from SHIKAKU_API_KEYS (comma-separated). */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SHIKAKU_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}

/** A running service. */
export interface RunningService {
  server: Server;
  /** The engine once up (tests use it to reach the browser). */
  engine: () => Engine | undefined;
  /** Graceful shutdown: stop accepting, let running work finish or persist, close the browser. */
  close: () => Promise<void>;
}

/**
 * Starts the print service. Without API keys it listens on 127.0.0.1 only and refuses any other address.
 * /healthz answers at once; the browser starts in the background and /readyz says when it is up; jobs left
 * unfinished by an earlier run resume as soon as it is.
 */
export async function startServer(options: Partial<ServeOptions> & Pick<ServeOptions, 'port' | 'apiKeys'>): Promise<RunningService> {
  const opts: ServeOptions = { ...SERVE_DEFAULTS, log: options.log ?? createLogger(), ...options };
  const host = opts.host ?? (opts.apiKeys.length ? '0.0.0.0' : '127.0.0.1');
  if (opts.apiKeys.length === 0 && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`refusing to listen on ${host} without API keys: set SHIKAKU_API_KEYS, or listen on 127.0.0.1`);
  }
  const log = opts.log;
  const metrics = createMetrics();
  let engine: Engine | undefined;
  const jobs = new JobStore(opts.dataDir);
  const runner = new JobRunner(jobs, () => engine, metrics, log);
  const tabs = opts.engine.tabs ?? 2;
  const queue = new RenderQueue(tabs, opts.maxWaiting, opts.renderTimeoutMs);
  const app = createApp({ engine: () => engine, layouts: loadLayouts(opts.engine.layoutsDir), apiKeys: opts.apiKeys, bodyLimit: opts.bodyLimit, jobBodyLimit: opts.jobBodyLimit, queue, jobs, runner, metrics, log });
  const server = await new Promise<Server>((resolveServer, reject) => {
    const s = app.listen(opts.port, host, () => resolveServer(s));
    s.once('error', reject);
  });
  log.info({ host, port: (server.address() as { port: number }).port, auth: opts.apiKeys.length > 0 }, 'listening');
  for (const job of jobs.unfinished()) runner.enqueue(job.id);
  const starting = Engine.start(opts.engine).then(
    (e) => {
      engine = e;
      e.events.on('restart', (reason: string) => {
        metrics.restarts.inc({ reason });
        log.warn({ reason }, 'browser restarted');
      });
      log.info({ pid: e.browserPid() }, 'engine ready');
      runner.kick();
      return e;
    },
    (err: Error) => {
      log.error({ err: err.message }, 'engine failed to start');
      return undefined;
    },
  );
  return {
    server,
    engine: () => engine,
    close: async () => {
      log.info('shutting down');
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await runner.stop();
      await closed;
      await (await starting)?.close();
      log.info('stopped');
    },
  };
}
