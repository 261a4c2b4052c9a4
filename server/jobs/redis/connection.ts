import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/*
 * Redis as the scale-out queue uses it: BullMQ's queues under one prefix, our own few keys beside them,
 * and the clients. Redis holds no record content: a chunk task is { job, n }, and the records, keys and
 * problem messages stay in the job's folder (BullMQ keeps job data in clear text).
 */

/** BullMQ's prefix of every queue; our own keys live under `shikaku:x:`, where no queue name can reach. */
export const PREFIX = 'shikaku';
/** The queue of chunk tasks (any worker prints any chunk) and the queue of assembly tasks (one per job). */
export const CHUNKS = 'chunks';
export const ASSEMBLE = 'assemble';
/**
 * The queue of flow gates, which no worker takes: a job's flow added in steps holds its assembly back by a
 * gate child (`gate-<job id>`) until its last chunk is in (job-flow.ts).
 */
export const GATES = 'gates';

/** What a chunk task carries: the job and the chunk's number, nothing of its records. */
export interface ChunkTask {
  job: string;
  n: number;
}

/** A job's mutable state while it prints: startedAt, build, done, rejected, rejectionCount, blockedBy, cancelled. */
export const jobKey = (id: string) => `${PREFIX}:x:job:${id}`;
/** n → "printed,rejected,problems" of each chunk counted: the guard that counts a chunk once. */
export const chunksKey = (id: string) => `${jobKey(id)}:chunks`;
/**
 * Workers alive: a sorted set of worker id by the time its heartbeat expires; beside it the hashes
 * `…:tabs` and `…:build` (worker id → its tabs, its build: Chromium and fonts).
 */
export const WORKERS_KEY = `${PREFIX}:x:workers`;
/** Counters of the cluster: stalls, buildRefusals (chunks left for a worker of their job's build). */
export const STATS_KEY = `${PREFIX}:x:stats`;

// BullMQ refuses custom ids made of digits only, and ours are hex: a prefix keeps them ids.
export const parentId = (id: string) => `job-${id}`;
export const childId = (id: string, n: number) => `job-${id}-${String(n).padStart(6, '0')}`;
export const gateId = (id: string) => `gate-${id}`;

/**
 * The BullMQ priority of a job's tasks by its size: a small job is never stuck behind a 300,000-record one
 * (1 is served first; never 0, which would go before every prioritized task).
 */
export function priorityOf(chunks: number): number {
  return chunks <= 10 ? 1 : chunks <= 100 ? 2 : chunks <= 1000 ? 3 : 4;
}

/** Counts a chunk's records into its job once, however often the chunk was printed (a takeover prints it again). */
const PROGRESS = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. ',' .. ARGV[3] .. ',' .. ARGV[4]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'done', ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'rejected', ARGV[3])
  redis.call('HINCRBY', KEYS[2], 'rejectionCount', ARGV[4])
end
redis.call('HDEL', KEYS[2], 'blockedBy')
redis.call('HSET', KEYS[2], 'updatedAt', ARGV[5])
return 1
`;

/** A client with our scripts. */
export type Client = Redis & {
  chunkProgress(chunks: string, job: string, n: number, printed: number, rejected: number, problems: number, at: string): Promise<number>;
};

/**
 * A client of `url`. An API instance fails fast (a request meets a Redis that is down with 503, not a
 * hang); a worker waits for Redis to come back, as BullMQ's workers require. Errors are logged without the
 * URL, which may hold the password.
 */
export function connect(url: string, role: 'api' | 'worker', log: Logger): Client {
  const client = new Redis(url, {
    ...(role === 'api' ? { maxRetriesPerRequest: 1, connectTimeout: 2000 } : { maxRetriesPerRequest: null }),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let said = '';
  client.on('error', (err: Error) => {
    if (err.message === said) return; // once per cause, not once per reconnect attempt
    said = err.message;
    log.warn({ err: err.message }, 'redis connection');
  });
  client.on('ready', () => (said = ''));
  client.defineCommand('chunkProgress', { numberOfKeys: 2, lua: PROGRESS });
  return client as Client;
}
