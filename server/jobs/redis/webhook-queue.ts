import { Queue, WaitingError, Worker, type Job as Task } from 'bullmq';
import type { Logger } from 'pino';
import type { DeliveryQueue, Webhooks } from '../webhooks.ts';
import { PREFIX, connect } from './connection.ts';

/*
 * A cluster's webhook deliveries: one BullMQ task per job's delivery, `webhook-<job id>`, carrying the job's
 * id and nothing else (the delivery's state stays in job.json). Every process of the cluster (API
 * instances and workers) takes deliveries, one attempt per try of the task; BullMQ's retries and backoff
 * time the next attempt, and a process that dies holding one loses it to another after its lease.
 */

/** The queue of webhook deliveries. */
export const WEBHOOKS = 'webhooks';

/** The task of job `id`'s delivery: one at most per job (a second add while it exists is ignored). */
const taskId = (id: string) => `webhook-${id}`;

/** Deliveries a process attempts at once: each waits on a receiver, not on this machine. */
const CONCURRENCY = 4;

/** How long a stop waits, past its grace, for BullMQ to let go of what it holds. */
const MOMENT_MS = 1000;

/** Waits for `work` at most `ms`: 'late' if it had not settled by then. */
async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const settled = await Promise.race([work.then(() => 'done' as const), late]);
  clearTimeout(timer);
  return settled;
}

/** A delivery still pending after an attempt: BullMQ tries it again after the wait the attempt saved. */
class NotDelivered extends Error {
  constructor(
    readonly waitMs: number,
    outcome: string,
  ) {
    super(`webhook not delivered: ${outcome}`);
  }
}

/** What a process needs to take part in a cluster's deliveries. */
export interface WebhookQueueOptions {
  url: string;
  webhooks: Webhooks;
  log: Logger;
  /** SHIKAKU_CHUNK_LEASE_S: a delivery held by a process that stopped renewing it goes to another after it. */
  leaseMs: number;
}

/**
 * Starts this process's part in the cluster's deliveries and hands them the webhooks' pending deliveries
 * (Webhooks.deliverThrough): queued when a job ends, and by the API's upkeep for any still pending on disk.
 */
export function startWebhookQueue(o: WebhookQueueOptions): DeliveryQueue {
  // A connection of a worker's kind (BullMQ's blocking reads wait for Redis to come back).
  const redis = connect(o.url, 'worker', o.log);
  const queue = new Queue<{ job: string }>(WEBHOOKS, { connection: redis, prefix: PREFIX });
  const attempts = o.webhooks.attempts;
  const worker = new Worker<{ job: string }>(
    WEBHOOKS,
    // Three parameters: BullMQ hands a processor its AbortSignal only when it declares the third.
    async (task: Task<{ job: string }>, token: string | undefined, signal?: AbortSignal) => {
      const result = await o.webhooks.attempt(task.data.job, signal);
      if (result.state === 'stopped') {
        // Cut by this process's stop: back in the queue at once for another process, not counted as a try.
        await task.moveToWait(token);
        throw new WaitingError();
      }
      if (result.state === 'pending') throw new NotDelivered(result.retryInMs, result.outcome);
      return { state: result.state };
    },
    {
      connection: redis,
      prefix: PREFIX,
      concurrency: CONCURRENCY,
      lockDuration: o.leaseMs,
      stalledInterval: Math.round(o.leaseMs / 2),
      maxStalledCount: 3,
      // The wait the attempt saved in job.json (WebhookConfig.backoffMs), so that a restart times it alike.
      settings: { backoffStrategy: (_made, _type, err) => (err instanceof NotDelivered ? err.waitMs : 1000) },
    },
  );
  const warn = (err: Error) => o.log.warn({ err: err.message }, 'redis webhook queue');
  queue.on('error', warn);
  worker.on('error', warn);
  worker.on('stalled', (id: string) => o.log.warn({ task: id }, 'webhook delivery taken over: its process stopped'));
  // A worker that lost a delivery's lease stops its attempt: another process has it now.
  worker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((t) => worker.cancelJob(t, 'lease lost')));
  let closing: Promise<void> | undefined;
  return {
    async add(id, delayMs) {
      await queue.add(
        'deliver',
        { job: id },
        {
          jobId: taskId(id),
          delay: Math.max(0, Math.round(delayMs)),
          attempts,
          backoff: { type: 'webhook' },
          // Gone once ended: the upkeep may queue a delivery again whose task failed past its stalls.
          removeOnComplete: true,
          removeOnFail: true,
          stackTraceLimit: 0,
        },
      );
    },
    close(graceMs) {
      return (closing ??= (async () => {
        const closed = worker.close().catch((err: Error) => warn(err));
        // Past the grace: attempts under way are cut and their deliveries go back to the queue (above).
        if (Number.isFinite(graceMs) && (await within(closed, graceMs)) === 'late') worker.cancelAllJobs('shutdown');
        // A cut attempt ends at once; only a Redis that does not answer could hold the close, and a stop
        // does not wait for it past a moment (what is in Redis stays there for the other processes).
        await within(closed, MOMENT_MS);
        await within(
          queue.close().catch(() => undefined),
          MOMENT_MS,
        );
        redis.disconnect();
      })());
    },
  };
}
