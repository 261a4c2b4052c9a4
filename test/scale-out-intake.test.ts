// Issue 29, finding 4, on a cluster of real processes: an API instance SIGKILLed in the middle of taking a
// job in leaves nothing behind for longer than its lease. Its bodies (records with names) go from incoming/,
// streamed or received whole, and the Idempotency-Key it held is free again: the client's retry with the same
// key is taken in by another instance (202). While Redis is down, a job's status says it is stale.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { AUTH, JSON_AUTH, kokuhoRecords } from './helpers/service.ts';
import { killAll, killHard, sleep, startServiceProcess, startedBy, stopServiceProcess, type ServiceProcess } from './helpers/processes.ts';

/** The intake lease of the test's cluster (SHIKAKU_INTAKE_LEASE_S). */
const LEASE_S = 3;
/** Bodies announced over this (KiB) are received whole, then checked. */
const RECEIPT_KB = 3000;

/** Starts a POST of `announced` bytes to `url` and sends only `first`, then keeps the connection open. */
function slowUpload(url: string, announced: number, first: Buffer, headers: Record<string, string> = {}): ClientRequest {
  const req = request(url, {
    method: 'POST',
    headers: { ...JSON_AUTH, ...headers, 'content-length': String(announced) },
  });
  req.on('error', () => undefined); // the instance is killed under it
  req.write(first);
  return req;
}

/** Polls `what` until it holds, for at most `ms`; answers how long it took. */
async function within(ms: number, what: () => boolean, said: string): Promise<number> {
  const start = Date.now();
  while (!what()) {
    if (Date.now() - start > ms) throw new Error(`waited ${ms} ms for ${said}`);
    await sleep(50);
  }
  return Date.now() - start;
}

describe('an API instance killed mid-intake', () => {
  it('leaves no body in incoming/ and no Idempotency-Key lock past its lease; status is marked stale while Redis is down', async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-cluster-intake-'));
    const env = {
      SHIKAKU_REDIS_URL: redis.url,
      SHIKAKU_API_KEYS: 'test:test-key',
      SHIKAKU_INTAKE_LEASE_S: String(LEASE_S),
      SHIKAKU_ACCEPT_ON_RECEIPT_KB: String(RECEIPT_KB),
      SHIKAKU_SHUTDOWN_GRACE_S: '2',
    };
    const processes: ServiceProcess[] = [];
    const pids: number[] = [];
    let redisUp = true;
    try {
      const [doomed, other] = await Promise.all([
        startServiceProcess({ dataDir, env, waitReady: false }),
        startServiceProcess({ dataDir, env, waitReady: false }),
      ]);
      processes.push(doomed, other);
      pids.push(...processes.flatMap((p) => [p.pid, ...startedBy(p.pid)]));
      const incoming = () => readdirSync(join(dataDir, 'incoming'));
      const records = kokuhoRecords(20);
      const body = Buffer.from(JSON.stringify(records));
      const KEY = 'renewal-2026-12-batch-7';

      // Two slow uploads to the instance that will die: one with the key, checked as it streams (2 MB
      // announced), one received whole before its check (8 MB announced); each sends a part and stalls.
      const part = Buffer.from(JSON.stringify(kokuhoRecords(1500)).slice(0, -1));
      const url = `${doomed.base}/v1/jobs?layout=kokuho-card`;
      const uploads = [slowUpload(url, 2_000_000, part, { 'idempotency-key': KEY }), slowUpload(url, 8_000_000, part.subarray(0, 300_000))];
      await within(10_000, () => incoming().length === 2, 'both bodies in incoming/');
      // Their leases are renewed while they stall: a sweep by the other instance leaves them alone.
      await sleep(LEASE_S * 1000 * 1.5);
      expect(incoming().length).toBe(2);

      await killHard(doomed);
      const killedAt = Date.now();
      for (const u of uploads) u.destroy();

      // The same key again, at once, to the other instance: taken in once the dead one's lock lease ends.
      const retry = await fetch(`${other.base}/v1/jobs?layout=kokuho-card`, {
        method: 'POST',
        headers: { ...JSON_AUTH, 'idempotency-key': KEY },
        body,
      });
      const retryMs = Date.now() - killedAt;
      expect(retry.status).toBe(202);
      expect(retryMs).toBeLessThan(LEASE_S * 1000 + 1500);
      const { id } = (await retry.json()) as { id: string };

      // The dead instance's bodies are gone within a lease and two sweeps (a third of a lease each).
      await within(LEASE_S * 1000 * 2, () => incoming().length === 0, 'the dead instance’s bodies to go');
      expect(Date.now() - killedAt).toBeLessThan(LEASE_S * 1000 * 2);
      // The folder is read here at once; the sweep's log line comes down a pipe a moment after it emptied it.
      const dropped = () =>
        other.log.filter((e) => e.msg === 'bodies dropped: the instance taking them in stopped').reduce((n, e) => n + Number(e.intakes), 0);
      await within(2000, () => dropped() >= 2, 'the sweep’s log line');
      expect(dropped()).toBe(2);

      // Status with Redis up: current, not stale. With Redis down: what the folder said, marked stale.
      const status = async () => (await (await fetch(`${other.base}/v1/jobs/${id}`, { headers: AUTH })).json()) as Record<string, unknown>;
      const up = await status();
      expect(up.state).toBe('queued');
      expect(up.stale).toBeUndefined();
      await redis.close();
      redisUp = false;
      await sleep(1200); // past the instance's cached ping
      const down = await status();
      expect(down).toMatchObject({ state: 'queued', stale: true });
      expect(typeof down.asOf).toBe('string');
      const list = (await (await fetch(`${other.base}/v1/jobs`, { headers: AUTH })).json()) as { jobs: Record<string, unknown>[] };
      expect(list.jobs.find((j) => j.id === id)).toMatchObject({ stale: true });
    } finally {
      await Promise.all(
        processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => stopServiceProcess(p)),
      );
      killAll(pids);
      if (redisUp) await redis.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
