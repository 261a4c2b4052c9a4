import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Engine, loadLayouts, loadEngineInsurers, type EngineOptions } from '../engine/index.ts';
import { createApp } from './app.ts';
import { DEFAULT_LIMITS, DEFAULT_RETENTION_HOURS, parseApiKeys, type ApiKey, type ServiceLimits } from './config.ts';
import { IdempotencyKeys } from './jobs/idempotency.ts';
import { Webhooks, type WebhookConfig } from './jobs/webhooks.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { RenderQueue } from './render-queue.ts';
import { JobStore } from './jobs/job-store.ts';
import { JobRunner } from './jobs/job-runner.ts';
import { DiskSpace } from './jobs/disk-space.ts';
import { lockDataFolder, markClusterFolder } from './jobs/data-lock.ts';
import { embeddedQueue } from './jobs/job-queue.ts';

/** A body in incoming/ without a lease (an older version's) untouched this long was left by an instance that died. */
const INCOMING_STALE_MS = 6 * 3_600_000;

export { configFromEnv, parseApiKeys, DEFAULT_LIMITS } from './config.ts';
export type { ApiKey, ServiceLimits } from './config.ts';

/** How the service runs; everything but the port and keys has a default. */
export interface ServeOptions {
  port: number;
  host?: string;
  /** API keys (`name:key` pairs or plain keys, see parseApiKeys); none: loopback only. */
  apiKeys: (ApiKey | string)[];
  /** Where jobs and their results are kept. */
  dataDir: string;
  log: Logger;
  engine: Partial<EngineOptions>;
  /** The press's ICC profile for `color=press` (SHIKAKU_PRESS_ICC); Ghostscript's CMYK profile when absent. */
  pressIcc?: string | undefined;
  /**
   * Synchronous renders in the engine at once. More than its tabs: counter prints that arrive together
   * print in one call to Chromium (engine/browser/counter-batch.ts), so four at once cost little more than one.
   */
  syncRenders: number;
  /** Synchronous renders waiting beyond the running ones before 429. */
  maxWaiting: number;
  /** Time limit of one synchronous render, queue wait included, before 503. */
  renderTimeoutMs: number;
  /** How long a stop waits for running chunks and requests before it cuts them. */
  shutdownGraceMs: number;
  limits: ServiceLimits;
  /** How long a finished job is kept (its result and manifest are personal data), then deleted. */
  retentionMs: number;
  /** Where job webhooks may go and their signing secret; none when left out. */
  webhooks: WebhookConfig;
  /**
   * SHIKAKU_REDIS_URL: jobs go through BullMQ on this Redis and `worker` processes print them; this
   * service is then a stateless API instance on a data folder it shares. Left out: jobs print here.
   */
  redisUrl?: string | undefined;
  /** A cluster's lease (SHIKAKU_CHUNK_LEASE_S): a webhook delivery whose process died is taken over after it. */
  leaseMs?: number;
  /** A cluster's chunks added to Redis in one MULTI (SHIKAKU_FLOW_STEP); a bigger job goes in steps. */
  flowStep?: number | undefined;
  /**
   * `serve --api-only` (with redisUrl): no browser is started here; counter prints go to the cluster's
   * workers through Redis and come back within renderTimeoutMs, and /readyz needs Redis, not a browser.
   */
  apiOnly?: boolean;
}

export const SERVE_DEFAULTS: Omit<ServeOptions, 'port' | 'apiKeys' | 'log'> = {
  dataDir: resolve('data'),
  engine: {},
  syncRenders: 4,
  maxWaiting: 16,
  renderTimeoutMs: 30_000,
  shutdownGraceMs: 20_000,
  limits: DEFAULT_LIMITS,
  retentionMs: DEFAULT_RETENTION_HOURS * 3_600_000,
  webhooks: { secret: undefined, hosts: [] },
};

/** A running service. */
export interface RunningService {
  server: Server;
  /** The engine once up (tests use it to reach the browser). */
  engine: () => Engine | undefined;
  /**
   * Graceful stop: stops taking requests, lets running chunks and requests finish within the grace
   * period (then cuts them: a cut chunk prints again at the next start), closes the browser, releases the
   * data folder.
   */
  close: () => Promise<void>;
  /** Settles once the engine has started (true) or failed to start (false, the cause in the log). */
  engineStarted: Promise<boolean>;
}

/**
 * Starts the print service. Without API keys it listens on 127.0.0.1 only and refuses any other address.
 * The data folder is locked and repaired (temp files, half-taken jobs, unreadable jobs moved aside) before
 * anything listens, so a failure there stops the start instead of leaving a service that cannot work.
 * /healthz answers at once; the browser starts in the background and /readyz says when it is up; jobs left
 * unfinished by an earlier run resume as soon as it is.
 */
export async function startServer(options: Partial<ServeOptions> & Pick<ServeOptions, 'port' | 'apiKeys'>): Promise<RunningService> {
  const opts: ServeOptions = { ...SERVE_DEFAULTS, log: options.log ?? createLogger(), ...options };
  const apiKeys = opts.apiKeys.flatMap((k) => (typeof k === 'string' ? parseApiKeys(k) : [k]));
  const host = opts.host ?? (apiKeys.length ? '0.0.0.0' : '127.0.0.1');
  if (apiKeys.length === 0 && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`refusing to listen on ${host} without API keys: set SHIKAKU_API_KEYS, or listen on 127.0.0.1`);
  }
  const log = opts.log;
  const redisUrl = opts.redisUrl;
  if (opts.apiOnly && redisUrl === undefined)
    throw new Error('--api-only needs SHIKAKU_REDIS_URL: counter prints go to the workers of a cluster on Redis');
  // A cluster's instances share the folder: none may lock it or repair it as if it were alone.
  const jobs = new JobStore(opts.dataDir, { shared: redisUrl !== undefined, leaseMs: opts.limits.intakeLeaseMs });
  const webhooks = new Webhooks(opts.webhooks, jobs, log);
  if (redisUrl !== undefined) markClusterFolder(opts.dataDir);
  const unlock = redisUrl === undefined ? lockDataFolder(opts.dataDir) : () => undefined;
  let server: Server | undefined;
  // What the start has set going, undone in reverse when a later step fails (a port in use, say), so that a
  // start that throws leaves no Redis connection, webhook worker or timer behind in an embedding process.
  const undo: (() => unknown)[] = [];
  try {
    // Only a service alone on its folder repairs it: in a cluster the others' intakes and writes are live.
    if (redisUrl === undefined) {
      // A job answered 202 whose records were being checked ends failed, its webhook pending.
      const repaired = await jobs.recover({ stoppedCheck: (job) => webhooks.prepare(job) });
      if (repaired.stoppedChecks.length)
        log.warn({ jobs: repaired.stoppedChecks }, 'jobs failed: the service stopped while checking their records');
      if (repaired.quarantined.length || repaired.tempFiles || repaired.incomplete) {
        log.warn(
          { quarantined: repaired.quarantined, tempFiles: repaired.tempFiles, incompleteIntakes: repaired.incomplete },
          'data folder repaired after an unclean stop',
        );
      }
      if (repaired.migrated) log.info({ jobs: repaired.migrated }, 'jobs of the first version brought into this format');
    }
    const metrics = createMetrics();
    const disk = new DiskSpace(opts.dataDir, opts.limits.minFreeBytes);
    disk.start();
    undo.push(() => disk.stop());
    let engine: Engine | undefined;
    const layouts = loadLayouts(opts.engine.layoutsDir);
    // Loaded before anything listens: a bad profile stops the start, and jobs are checked against them.
    const insurers = opts.engine.insurers ?? (await loadEngineInsurers(layouts, opts.engine.insurersDir));
    const runner =
      redisUrl === undefined
        ? new JobRunner({
            onEnding: (job) => webhooks.prepare(job),
            onEnd: (job) => webhooks.notify(job),
            store: jobs,
            layouts,
            engine: () => engine,
            disk,
            metrics,
            log,
            problemsShown: opts.limits.problems,
            pressIcc: opts.pressIcc,
            insurers,
          })
        : undefined;
    // Loaded only in Redis mode: `npm start` never loads BullMQ.
    const jobQueue = runner
      ? embeddedQueue(runner)
      : (await import('./jobs/redis/redis-queue.ts')).redisQueue({
          url: redisUrl as string,
          store: jobs,
          layouts,
          metrics,
          log,
          retentionMs: opts.retentionMs,
          webhooks,
          leaseMs: opts.leaseMs ?? 30_000,
          ...(opts.flowStep ? { flowStep: opts.flowStep } : {}),
          lockLeaseMs: opts.limits.intakeLeaseMs,
        });
    undo.push(() => Promise.all([webhooks.stop(0), jobQueue.stop(0)]));
    const queue = new RenderQueue(opts.syncRenders, opts.maxWaiting, opts.renderTimeoutMs);
    const counter = opts.apiOnly
      ? (await import('./jobs/redis/counter-prints.ts')).remoteCounter({ url: redisUrl as string, log, timeoutMs: opts.renderTimeoutMs })
      : undefined;
    undo.push(() => counter?.close());
    const idempotency = new IdempotencyKeys(opts.dataDir, (name, fn) => jobQueue.exclusive(name, fn));
    // Retention: finished jobs older than the period are deleted, at start and then every tenth of the
    // period (at most every 10 minutes), and with them the idempotency keys that named them.
    const sweep = () => {
      const expired = jobs.finishedBefore(new Date(Date.now() - opts.retentionMs));
      for (const job of expired) {
        jobs.delete(job.id);
        log.info({ job: job.id, state: job.state }, 'job deleted: past its retention period');
      }
      if (expired.length) idempotency.sweep((id) => jobs.get(id) !== undefined);
      void jobQueue.upkeep().catch((err: Error) => log.warn({ err: err.message }, 'upkeep of the job queue'));
    };
    sweep();
    const sweeper = setInterval(sweep, Math.max(250, Math.min(opts.retentionMs / 10, 600_000)));
    sweeper.unref();
    undo.push(() => clearInterval(sweeper));
    // A cluster's intakes of instances that died (alone on its folder, the start drops them): their bodies
    // go within a lease, and a job answered 202 whose check died ends failed. At start and every third of a lease.
    let sweepingIncoming = false;
    const sweepIncoming = async () => {
      if (sweepingIncoming) return;
      sweepingIncoming = true;
      try {
        const swept = await jobs.sweepIncoming({ olderThanMs: INCOMING_STALE_MS, ending: (job) => webhooks.prepare(job) });
        if (swept.dropped) log.warn({ intakes: swept.dropped }, 'bodies dropped: the instance taking them in stopped');
        for (const job of swept.failed) {
          log.warn({ job: job.id }, 'job failed: the instance checking its records stopped');
          webhooks.notify(job);
        }
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'sweep of incoming bodies');
      } finally {
        sweepingIncoming = false;
      }
    };
    const incomingSweeper = redisUrl === undefined ? undefined : setInterval(() => void sweepIncoming(), opts.limits.intakeLeaseMs / 3);
    incomingSweeper?.unref();
    undo.push(() => clearInterval(incomingSweeper));
    if (incomingSweeper) await sweepIncoming();
    const stopping = new AbortController();
    const app = createApp({
      engine: () => engine,
      layouts,
      insurers,
      pressIcc: opts.pressIcc,
      apiKeys,
      limits: opts.limits,
      queue,
      jobs,
      idempotency,
      webhooks,
      jobQueue,
      disk,
      counter,
      metrics,
      log,
      stopping: stopping.signal,
    });
    const listening = await new Promise<Server>((resolveServer, reject) => {
      // Express 5 hands a failed listen's error to this callback (a port in use), not only to 'error'.
      const s = app.listen(opts.port, host, (err?: Error) => (err ? reject(portError(err, host, opts.port)) : resolveServer(s)));
    });
    server = listening;
    log.info(
      {
        host,
        port: (listening.address() as { port: number }).port,
        auth: apiKeys.length > 0,
        pid: process.pid,
        jobs: jobQueue.mode,
        ...(counter ? { counterPrints: 'workers' } : {}),
      },
      'listening',
    );
    // What this service runs with, secrets left out: the keys by name, the webhook secret as set or not.
    log.info(
      {
        keys: apiKeys.map((k) => k.name),
        dataDir: opts.dataDir,
        retentionHours: opts.retentionMs / 3_600_000,
        webhooks: { hosts: opts.webhooks.hosts, secret: opts.webhooks.secret ? 'set' : 'not set' },
        limits: opts.limits,
        pressIcc: opts.pressIcc ?? 'Ghostscript default',
        shutdownGraceMs: opts.shutdownGraceMs,
      },
      'configuration',
    );
    // Alone on its folder, this service resumes what an earlier run left; a cluster's state is in Redis.
    if (runner) {
      await runner.resumeAtStart();
      webhooks.resume();
    }
    // One tab more for counter prints, so that a running job never makes a person at a desk wait for it.
    // An --api-only instance starts no browser at all.
    const starting = (opts.apiOnly ? Promise.resolve(undefined) : Engine.start({ counterTabs: 1, ...opts.engine, insurers })).then(
      (e) => {
        if (!e) return undefined;
        engine = e;
        e.events.on('restart', (reason: string) => {
          metrics.restarts.inc({ reason });
          log.warn({ reason }, 'browser restarted');
        });
        log.info({ pid: e.browserPid() }, 'engine ready');
        runner?.kick();
        return e;
      },
      (err: Error) => {
        log.error({ err: err.message }, 'engine failed to start');
        return undefined;
      },
    );
    let closing: Promise<void> | undefined;
    const close = async () => {
      const grace = opts.shutdownGraceMs;
      const deadline = Date.now() + grace;
      log.info({ graceMs: grace }, 'shutting down');
      stopping.abort(); // bodies being taken in are dropped at their next piece; new requests get 503
      const closed = new Promise<void>((r) => listening.close(() => r()));
      listening.closeIdleConnections();
      const cut = setTimeout(() => listening.closeAllConnections(), grace);
      clearInterval(sweeper);
      clearInterval(incomingSweeper);
      // Webhook attempts under way end (and save) before the folder is let go, as printing chunks do; past
      // the grace they are cut, and stay pending for the next start (or, in a cluster, another process).
      // The embedded runner stops beside the requests; a cluster's queue only after them, since requests
      // still being answered need Redis. Nothing waits past the grace.
      await Promise.all([webhooks.stop(grace), runner ? jobQueue.stop(grace) : closed]);
      await closed;
      if (!runner) await Promise.all([jobQueue.stop(Math.max(0, deadline - Date.now())), counter?.close()]);
      clearTimeout(cut);
      disk.stop();
      await (await starting)?.close();
      unlock();
      log.info('stopped');
    };
    return {
      server: listening,
      engine: () => engine,
      close: () => (closing ??= close()),
      engineStarted: opts.apiOnly ? Promise.resolve(true) : starting.then((e) => e !== undefined),
    };
  } catch (err) {
    server?.close();
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    unlock();
    throw err;
  }
}

/** A listen that failed, said with the address and what to do: `EADDRINUSE` alone names neither. */
function portError(err: Error, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new Error(`port ${port} on ${host} is in use by another program (EADDRINUSE): stop it, or choose another with --port or PORT`, {
      cause: err,
    });
  if (code === 'EACCES')
    return new Error(`port ${port} on ${host} may not be used by this user (EACCES): choose 1024 or above with --port or PORT`, {
      cause: err,
    });
  return err;
}
