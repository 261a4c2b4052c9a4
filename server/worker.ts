import type { Logger } from 'pino';
import { createHash } from 'node:crypto';
import { Engine, loadLayouts, loadEngineInsurers, readPinnedFonts, type EngineOptions } from '../engine/index.ts';
import type { ServiceLimits } from './config.ts';
import { markClusterFolder } from './jobs/data-lock.ts';
import { DiskSpace } from './jobs/disk-space.ts';
import { JobStore } from './jobs/job-store.ts';
import { Webhooks, type WebhookConfig } from './jobs/webhooks.ts';
import { createMetrics } from './metrics.ts';

/** Counter prints a worker prints at once for the cluster's --api-only instances. */
const COUNTER_PRINTS = 4;

/** How a `worker` process runs. */
export interface WorkerProcessOptions {
  /** The cluster's Redis (SHIKAKU_REDIS_URL). */
  redisUrl: string;
  /** The data folder every instance of the cluster shares (SHIKAKU_DATA_DIR). */
  dataDir: string;
  /** Chunks printed at once: the engine's tabs. */
  tabs: number;
  leaseMs: number;
  shutdownGraceMs: number;
  retentionMs: number;
  limits: ServiceLimits;
  webhooks: WebhookConfig;
  pressIcc?: string | undefined;
  engine: Partial<EngineOptions>;
  /** SHIKAKU_TEST_BUILD_SUFFIX, for tests only: appended to the build this worker announces. */
  buildSuffix?: string | undefined;
  log: Logger;
}

/**
 * What prints a chunk the way this worker does: its Chromium's version and the SHA-256 of the pinned fonts
 * (fonts/fonts.json, which the engine checked every face against at its start), e.g.
 * `Chrome/156.0.8078.114 fonts:050d14dbc889`. A job's chunks are all printed by one build, so that
 * its pages are alike (goldens and byte-identical output assume one build).
 */
export async function buildOf(engine: Engine, suffix = ''): Promise<string> {
  const fonts = createHash('sha256')
    .update(
      readPinnedFonts()
        .map((f) => f.sha256)
        .sort()
        .join(','),
    )
    .digest('hex');
  return `${await engine.browserVersion()} fonts:${fonts.slice(0, 12)}${suffix}`;
}

/** A running worker. */
export interface RunningWorker {
  id: string;
  /** Graceful stop: finishes its chunks within the grace period, puts the rest back in the queue, closes. */
  close: () => Promise<void>;
}

/**
 * Starts a `worker`: an engine of `tabs` tabs and the BullMQ workers that print the cluster's chunks and
 * assemble its jobs, on the shared data folder, and prints the counter prints of --api-only instances. It
 * takes tasks only once its browser is up.
 */
export async function startWorker(o: WorkerProcessOptions): Promise<RunningWorker> {
  const { log } = o;
  const store = new JobStore(o.dataDir, { shared: true });
  markClusterFolder(o.dataDir);
  const disk = new DiskSpace(o.dataDir, o.limits.minFreeBytes);
  disk.start();
  const metrics = createMetrics();
  const layouts = loadLayouts(o.engine.layoutsDir);
  const insurers = o.engine.insurers ?? (await loadEngineInsurers(layouts, o.engine.insurersDir));
  let engine: Engine | undefined;
  try {
    // One tab more for the counter prints of --api-only instances, so that a job's chunks never keep a person waiting.
    engine = await Engine.start({ ...o.engine, tabs: o.tabs, counterTabs: 1, insurers });
    engine.events.on('restart', (reason: string) => log.warn({ reason }, 'browser restarted'));
    const build = await buildOf(engine, o.buildSuffix);
    log.info({ pid: engine.browserPid(), chromium: await engine.browserVersion(), build }, 'engine ready');
    const webhooks = new Webhooks(o.webhooks, store, log);
    // Loaded only here: `npm start` without Redis never loads BullMQ.
    const { startJobWorkers } = await import('./jobs/redis/workers.ts');
    const { startCounterWorker } = await import('./jobs/redis/counter-prints.ts');
    const workers = await startJobWorkers({
      url: o.redisUrl,
      store,
      engine,
      layouts,
      disk,
      metrics,
      log,
      tabs: o.tabs,
      leaseMs: o.leaseMs,
      problemsShown: o.limits.problems,
      pressIcc: o.pressIcc,
      retentionMs: o.retentionMs,
      webhooks,
      build,
    });
    // As many at once as a service prints (ServeOptions.syncRenders): counter prints that arrive together print in one call.
    const counter = startCounterWorker({ url: o.redisUrl, engine, log, pressIcc: o.pressIcc, concurrency: COUNTER_PRINTS });
    const running = engine;
    let closing: Promise<void> | undefined;
    return {
      id: workers.id,
      close: () =>
        (closing ??= (async () => {
          // All within the one grace. The chunks first: a job whose assembly ends within it queues its webhook,
          // which a stopped Webhooks would drop (it stays pending on disk until an API instance's upkeep, up to
          // 10 minutes); then the deliveries, in what is left of the grace (one under way past it goes back to
          // the queue for another process).
          const until = Date.now() + o.shutdownGraceMs;
          await Promise.all([workers.close(o.shutdownGraceMs), counter.close(o.shutdownGraceMs)]);
          await webhooks.stop(Math.max(0, until - Date.now()));
          await running.close();
          disk.stop();
        })()),
    };
  } catch (err) {
    await engine?.close();
    disk.stop();
    throw err;
  }
}
