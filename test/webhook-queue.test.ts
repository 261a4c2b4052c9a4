// A cluster's webhook deliveries through BullMQ (server/jobs/redis/webhook-queue.ts), in this process on a
// redis-server of our own and a receiver on loopback, without a browser: BullMQ's retries make the
// attempts with the saved waits, a delivery left pending on disk is queued again by resume (an API's
// upkeep), and one whose process stops mid-attempt goes back to the queue for another at once.
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startRedis, type RedisProcess } from '../cli/redis-server.ts';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';
import { startWebhookQueue } from '../server/jobs/redis/webhook-queue.ts';
import { Webhooks, type WebhookConfig } from '../server/jobs/webhooks.ts';
import { startWebhookReceiver, type ReceiverMode, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const log = pino({ level: 'silent' });
let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (what: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !what();) {
    if (Date.now() > end) throw new Error('waited too long');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A job store with one done job whose webhook to `url` is pending, as a process that died would leave it. */
async function pendingJob(url: string): Promise<{ store: JobStore; job: Job }> {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-whq-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new JobStore(dir, { shared: true });
  const { id } = store.beginIntake();
  const now = new Date().toISOString();
  const job: Job = {
    ...{ id, owner: 'local', layout: 'kokuho-card', state: 'done', createdAt: now, updatedAt: now },
    ...{ total: 1, done: 1, chunks: 1, rejected: 0, rejectionCount: 0, rejections: [], callbackUrl: url },
    webhook: { delivery: 'd-1', state: 'pending', attempts: 0, nextAt: now },
  };
  await store.commitIntake(job);
  return { store, job };
}

/** One process's part in the deliveries: webhooks over `store` delivering through the cluster's queue. */
function deliverer(store: JobStore, config: Partial<WebhookConfig> = {}): Webhooks {
  const webhooks = new Webhooks({ secret: 'a-secret-of-enough-length', hosts: ['127.0.0.1'], ...config }, store, log);
  webhooks.deliverThrough(startWebhookQueue({ url: redis.url, webhooks, log, leaseMs: 5000 }));
  cleanups.push(() => webhooks.stop(0));
  return webhooks;
}

async function receiver(mode: ReceiverMode): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(mode);
  cleanups.push(() => r.close());
  return r;
}

describe('webhook deliveries through the cluster’s queue', () => {
  it('are retried by BullMQ with the saved waits until the receiver takes one, and queued once however often resumed', async () => {
    const hook = await receiver({ status: 500 });
    const { store, job } = await pendingJob(hook.url);
    const webhooks = deliverer(store, { backoffMs: [200, 400, 60_000] });
    webhooks.resume();
    webhooks.resume(); // an upkeep while the task is queued: still one delivery
    await until(() => hook.received.length === 2);
    hook.mode = { status: 204 };
    await until(() => store.get(job.id)?.webhook?.state === 'delivered');
    expect(store.get(job.id)?.webhook).toMatchObject({ state: 'delivered', attempts: 3 });
    expect(hook.received.length).toBe(3);
    const gaps = hook.received.slice(1).map((h, i) => h.at - (hook.received[i] as { at: number }).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[1]).toBeGreaterThanOrEqual(350);
  });

  it('is given up after its last attempt, and not tried again', async () => {
    const hook = await receiver({ status: 503 });
    const { store, job } = await pendingJob(hook.url);
    deliverer(store, { backoffMs: [100] }).resume();
    await until(() => store.get(job.id)?.webhook?.state === 'given up');
    expect(store.get(job.id)?.webhook).toMatchObject({ attempts: 2, lastOutcome: 'answered 503' });
    await new Promise((r) => setTimeout(r, 500));
    expect(hook.received.length).toBe(2);
  });

  it('goes back to the queue at once when its process stops mid-attempt, and another process delivers it', async () => {
    const hook = await receiver({ trickleEveryMs: 100 });
    const { store, job } = await pendingJob(hook.url);
    const first = deliverer(store, { attemptMs: 60_000 });
    first.resume();
    await until(() => hook.received.length === 1);
    hook.mode = { status: 204 };
    const stopping = Date.now();
    await first.stop(200);
    expect(Date.now() - stopping).toBeLessThan(2000);
    expect(store.get(job.id)?.webhook).toMatchObject({ state: 'pending', attempts: 0 });
    deliverer(store); // another process, which starts after the stop: the task waits for it
    await until(() => store.get(job.id)?.webhook?.state === 'delivered', 5000);
    expect(store.get(job.id)?.webhook).toMatchObject({ attempts: 1 });
    expect(hook.received.length).toBe(2);
  });
});
