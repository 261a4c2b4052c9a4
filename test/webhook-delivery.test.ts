// Webhook deliveries against a real job store and a receiver on loopback, without a browser: what happens
// when the configuration changed before a restart, when the job is deleted while an attempt is out, when
// the receiver trickles its answer (the attempt's total deadline) and when a stop comes during an attempt.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Job } from '../server/jobs/job-model.ts';
import { JobStore } from '../server/jobs/job-store.ts';
import { Webhooks } from '../server/jobs/webhooks.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const servers: Server[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A done job with a pending webhook to `url`, as a stop would leave it on disk. */
async function pendingJob(store: JobStore, url: string): Promise<Job> {
  const { id } = store.beginIntake();
  const now = new Date().toISOString();
  const job: Job = {
    ...{ id, owner: 'local', layout: 'kokuho-card', state: 'done', createdAt: now, updatedAt: now },
    ...{ total: 1, done: 1, chunks: 1, rejected: 0, rejectionCount: 0, rejections: [], callbackUrl: url },
    webhook: { delivery: 'd-1', state: 'pending', attempts: 1, nextAt: now },
  };
  await store.commitIntake(job);
  return job;
}

async function receiver(answerAfterMs: number, seen: () => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    seen();
    setTimeout(() => res.end(), answerAfterMs);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

const until = async (what: () => boolean) => {
  for (let i = 0; !what(); i++) {
    if (i > 100) throw new Error('waited too long');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * A job store in a folder of its own with one done job whose webhook to a loopback receiver (answering
 * after `answerAfterMs`) is pending; `posts()` counts what the receiver was sent.
 */
async function pendingDelivery(answerAfterMs: number, to?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-wh-'));
  dirs.push(dir);
  let posts = 0;
  const url = to ?? (await receiver(answerAfterMs, () => posts++));
  const store = new JobStore(dir);
  const job = await pendingJob(store, url);
  return { dir, store, job, posts: () => posts };
}

describe('a pending webhook', () => {
  it('is given up, not sent and not a crash, when a restart no longer allows it (no secret, host off the list)', async () => {
    const { store, job, posts } = await pendingDelivery(0);
    for (const config of [
      { secret: undefined, hosts: ['127.0.0.1'] },
      { secret: 'a-secret-of-enough-length', hosts: ['erp.example'] },
    ]) {
      const j = store.get(job.id) as Job;
      j.webhook = { delivery: 'd-1', state: 'pending', attempts: 1, nextAt: new Date().toISOString() };
      await store.save(j);
      const webhooks = new Webhooks(config, store, log);
      webhooks.resume();
      await until(() => store.get(job.id)?.webhook?.state !== 'pending');
      await webhooks.stop();
      expect(store.get(job.id)?.webhook).toMatchObject({ state: 'given up', attempts: 2, lastOutcome: 'refused' });
    }
    expect(posts()).toBe(0);
  });

  it('ends with its job: a job deleted while an attempt is out is not saved back, and not retried', async () => {
    const { dir, store, job, posts } = await pendingDelivery(300);
    const webhooks = new Webhooks({ secret: 'a-secret-of-enough-length', hosts: ['127.0.0.1'], backoffMs: [50, 50] }, store, log);
    webhooks.resume();
    await until(() => posts() === 1);
    store.delete(job.id); // while the receiver has not answered yet
    await new Promise((r) => setTimeout(r, 600));
    await webhooks.stop();
    expect(store.get(job.id)).toBeUndefined();
    expect(existsSync(join(dir, 'jobs', job.id))).toBe(false);
    expect(posts()).toBe(1);
  });

  it('is cut at its total deadline when the receiver trickles its answer, and tried again', async () => {
    const slow = await startWebhookReceiver({ trickleEveryMs: 100 });
    receivers.push(slow);
    const { store, job } = await pendingDelivery(0, slow.url);
    const config = { secret: 'a-secret-of-enough-length', hosts: ['127.0.0.1'], backoffMs: [60_000, 60_000], attemptMs: 500 };
    const webhooks = new Webhooks(config, store, log);
    const started = Date.now();
    const result = await webhooks.attempt(job.id);
    // A safety net, 6 x the 0.5 s deadline it takes when quiet: the receiver trickles for ever, so without the
    // deadline the attempt would never end.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ state: 'pending', outcome: 'failed: no answer within 0.5 s' });
    expect(store.get(job.id)?.webhook).toMatchObject({ state: 'pending', attempts: 2, lastOutcome: 'failed: no answer within 0.5 s' });
    await until(() => slow.received[0]?.closedAt !== undefined); // its socket destroyed, not left open
    await webhooks.stop();
  });

  it('is delivered on a 2xx status, without waiting for a body the receiver trickles after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-wh-'));
    dirs.push(dir);
    let closed = false;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('o');
      const drip = setInterval(() => res.write('k'), 100);
      res.on('close', () => {
        clearInterval(drip);
        closed = true;
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const store = new JobStore(dir);
    const job = await pendingJob(store, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    const webhooks = new Webhooks({ secret: 'a-secret-of-enough-length', hosts: ['127.0.0.1'], attemptMs: 5000 }, store, log);
    const started = Date.now();
    const result = await webhooks.attempt(job.id);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ state: 'delivered' });
    await until(() => closed); // the connection is closed, not held to the deadline
    await webhooks.stop();
  });

  it('is cut by a stop past its grace, neither counted nor saved, and stays pending for the next start', async () => {
    const slow = await startWebhookReceiver({ trickleEveryMs: 100 });
    receivers.push(slow);
    const { store, job } = await pendingDelivery(0, slow.url);
    const webhooks = new Webhooks({ secret: 'a-secret-of-enough-length', hosts: ['127.0.0.1'], attemptMs: 60_000 }, store, log);
    webhooks.resume();
    await until(() => slow.received.length === 1);
    const started = Date.now();
    await webhooks.stop(300);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.get(job.id)?.webhook).toMatchObject({ state: 'pending', attempts: 1 });
    await until(() => slow.received[0]?.closedAt !== undefined);
  });
});
