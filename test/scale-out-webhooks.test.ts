// Issue 29 on a cluster: webhook deliveries go through a BullMQ queue every process of the cluster takes
// from. A process SIGKILLed while it holds a job's webhook in the middle of its retries loses it to
// another after its lease, which delivers it. Real processes on loopback: a Redis of our own, an API
// instance, a worker, and a receiver that refuses the first attempt and hangs on the second.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { JSON_AUTH, kokuhoRecords } from './helpers/service.ts';
import {
  killAll,
  killHard,
  sleep,
  startServiceProcess,
  startWorkerProcess,
  startedBy,
  stopServiceProcess,
  until,
  type ServiceProcess,
} from './helpers/processes.ts';
import { signedBy, startWebhookReceiver } from './helpers/webhook-receiver.ts';

const SECRET = 'a-webhook-secret-of-some-length';
/** The cluster's lease: a dead process's delivery is taken over within lease + half of it. */
const LEASE_S = 6;

describe('webhooks of a cluster', () => {
  it('a process SIGKILLed holding a job’s webhook mid-retry loses it to another process, which delivers it once', async () => {
    const receiver = await startWebhookReceiver({ status: 500 });
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-cluster-hooks-'));
    const env = {
      SHIKAKU_REDIS_URL: redis.url,
      SHIKAKU_API_KEYS: 'test:test-key',
      SHIKAKU_CHUNK_LEASE_S: String(LEASE_S),
      SHIKAKU_SHUTDOWN_GRACE_S: '2',
      SHIKAKU_WEBHOOK_SECRET: SECRET,
      SHIKAKU_WEBHOOK_HOSTS: '127.0.0.1',
      SHIKAKU_WEBHOOK_ATTEMPT_S: '60',
    };
    const processes: ServiceProcess[] = [];
    const pids: number[] = [];
    try {
      const api = await startServiceProcess({ dataDir, env });
      processes.push(api);
      processes.push(await startWorkerProcess({ dataDir, env, tabs: 1 }));
      pids.push(...processes.flatMap((p) => [p.pid, ...startedBy(p.pid)]));
      const url = `${api.base}/v1/jobs?layout=kokuho-card&callbackUrl=${encodeURIComponent(receiver.url)}`;
      const posted = await fetch(url, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(kokuhoRecords(2)) });
      expect(posted.status).toBe(202);
      const { id } = (await posted.json()) as { id: string };
      const jobFile = join(dataDir, 'jobs', id, 'job.json');
      const webhook = () => {
        try {
          return (JSON.parse(readFileSync(jobFile, 'utf8')) as { webhook?: { state: string; attempts: number } }).webhook;
        } catch {
          return undefined; // being replaced
        }
      };

      // The first attempt is refused (500); the second, a second later, hangs in the hands of its process.
      await until(() => receiver.received[0], 60_000, 'the first attempt');
      receiver.mode = { trickleEveryMs: 3000 };
      await until(() => receiver.received[1], 10_000, 'the second attempt');
      const holder = await until(
        () => processes.find((p) => p.log.some((e) => e.msg === 'webhook attempt' && e.job === id && e.attempt === 2)),
        5000,
        'the log of the second attempt',
      );
      expect(webhook()).toMatchObject({ state: 'pending', attempts: 1 });
      await killHard(holder);
      const killedAt = Date.now();
      receiver.mode = { status: 204 };

      // Another process takes the delivery over after the dead one's lease and delivers it.
      const other = processes.find((p) => p !== holder) as ServiceProcess;
      const delivered = await until(
        () => other.log.find((e) => e.msg === 'webhook delivered' && e.job === id),
        LEASE_S * 4 * 1000,
        'another process to deliver the webhook',
      );
      expect(delivered).toMatchObject({ attempt: 2 });
      expect(Date.parse(delivered.time as string) - killedAt).toBeLessThan(LEASE_S * 2.5 * 1000);
      await expect.poll(webhook, { timeout: 5000 }).toMatchObject({ state: 'delivered', attempts: 2 });
      // Once after the kill, the same delivery as before, signed; the dead process delivered nothing.
      const after = receiver.received.filter((h) => h.at > killedAt);
      expect(after.length).toBe(1);
      expect(new Set(receiver.received.map((h) => h.headers['x-shikaku-delivery'])).size).toBe(1);
      expect(signedBy(after[0]!, SECRET)).toBe(true);
      expect(holder.log.filter((e) => e.msg === 'webhook delivered')).toEqual([]);
      await sleep(1000);
      expect(receiver.received.length).toBe(3);
    } finally {
      await Promise.all(
        processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => stopServiceProcess(p)),
      );
      killAll(pids);
      await redis.close();
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
