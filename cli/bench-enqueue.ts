import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadLayouts, type Layout } from '../engine/index.ts';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';
import { FLOW_STEP } from '../server/jobs/redis/job-flow.ts';
import { redisQueue } from '../server/jobs/redis/redis-queue.ts';
import { createMetrics } from '../server/metrics.ts';
import { startRedis } from './redis-server.ts';
import { EXIT } from './report.ts';

/** What one enqueue cost Redis. */
interface EnqueueFigures {
  chunks: number;
  /** The enqueue's wall time, from the call to its answer (ms). */
  enqueueMs: number;
  /**
   * Redis's longest command meanwhile, and which it was: the longest of SLOWLOG (every command logged, but
   * Redis 7 logs a MULTI's commands one by one, never its EXEC) and of the latency monitor (which times EXEC whole).
   */
  longestMs: number;
  longestCommand: string;
  /** The longest single command of SLOWLOG (a script inside a MULTI counts alone). */
  slowlogMs: number;
  /** The longest another client's PING waited meanwhile (asked back to back): what the cluster felt. */
  pingMaxMs: number;
}

/** A queued job of `chunks` chunks as intake commits it (enqueue reads no more of it for plain output). */
function benchJob(layout: Layout, chunks: number): Job {
  const now = new Date().toISOString();
  return {
    id: randomBytes(8).toString('hex'),
    owner: 'bench',
    layout: layout.id,
    state: 'queued',
    createdAt: now,
    updatedAt: now,
    total: chunks * 100,
    done: 0,
    chunks,
    rejected: 0,
    rejectionCount: 0,
    rejections: [],
  };
}

/**
 * `bench --enqueue [--chunks N,N] [--flow-step N]`: how long adding one job's flow to Redis blocks it, as
 * an API instance's enqueue adds it (no worker, no Chromium), on a redis-server of its own that logs every
 * command (`slowlog-log-slower-than 0`) while another client PINGs it back to back. `--flow-step` sets the
 * children added in one MULTI (default job-flow.ts FLOW_STEP; a step past the job's size is the one MULTI of
 * before). Prints, for each size, the enqueue time, Redis's longest command and the longest PING wait.
 */
export async function benchEnqueue(layout: Layout, sizes: number[], o: { step?: number; json: boolean }): Promise<number> {
  const server = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-enqueue-'));
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const probe = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const queue = redisQueue({
    url: server.url,
    store: new JobStore(dataDir, { shared: true }),
    layouts: loadLayouts(),
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    retentionMs: 3_600_000,
    ...(o.step ? { flowStep: o.step } : {}),
  });
  const figures: EnqueueFigures[] = [];
  try {
    await admin.config('SET', 'slowlog-max-len', '1000000');
    for (const chunks of sizes) {
      await admin.flushall();
      await queue.enqueue(benchJob(layout, 1)); // BullMQ loads its scripts: not part of the figure
      await admin.config('SET', 'slowlog-log-slower-than', '0');
      await admin.config('SET', 'latency-monitor-threshold', '1');
      await admin.slowlog('RESET');
      await admin.call('LATENCY', 'RESET');
      let pinging = true;
      let pingMaxMs = 0;
      const pings = (async () => {
        while (pinging) {
          const t = performance.now();
          await probe.ping();
          pingMaxMs = Math.max(pingMaxMs, performance.now() - t);
        }
      })();
      const t0 = performance.now();
      await queue.enqueue(benchJob(layout, chunks));
      const enqueueMs = performance.now() - t0;
      pinging = false;
      await pings;
      await admin.config('SET', 'slowlog-log-slower-than', '10000');
      await admin.config('SET', 'latency-monitor-threshold', '0');
      // Each entry: [id, time, µs, [command, ...args], ...]; the CONFIG SET above ends the list.
      const log = (await admin.slowlog('GET', -1)) as [number, number, number, string[]][];
      const slow = log.reduce((a, b) => (b[2] > a[2] ? b : a));
      const slowlogMs = slow[2] / 1000;
      // Each event: [name, time, latest ms, max ms]; "command" is a slow command's (EXEC included).
      const events = (await admin.call('LATENCY', 'LATEST')) as [string, number, number, number][];
      const monitored = Math.max(0, ...events.filter((e) => e[0] === 'command').map((e) => e[3]));
      const byMonitor = monitored > slowlogMs;
      figures.push({
        chunks,
        enqueueMs,
        longestMs: byMonitor ? monitored : slowlogMs,
        longestCommand: byMonitor ? 'exec' : String(slow[3][0]).toLowerCase(),
        slowlogMs,
        pingMaxMs,
      });
    }
  } finally {
    await queue.stop(0);
    admin.disconnect();
    probe.disconnect();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ step: o.step ?? FLOW_STEP, figures })}\n`);
  else
    for (const f of figures)
      process.stdout.write(
        `${String(f.chunks).padStart(6)} chunks  enqueue ${f.enqueueMs.toFixed(0)} ms  longest command ${f.longestMs.toFixed(1)} ms (${f.longestCommand}; longest script ${f.slowlogMs.toFixed(1)} ms)  longest PING wait ${f.pingMaxMs.toFixed(1)} ms\n`,
      );
  return EXIT.ok;
}
