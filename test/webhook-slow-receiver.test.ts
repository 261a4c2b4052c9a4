// Issue 29, finding 1, on real processes: a webhook receiver that trickles its answer one byte every 3 s
// (never silent long enough for a per-silence timeout) against `serve` started as an operator starts it.
// Each attempt ends at its total deadline, SIGTERM ends the service within its grace while an attempt is
// still open, and the next start delivers the pending webhook once the receiver answers properly.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_AUTH, kokuhoRecords, waitForJob } from './helpers/service.ts';
import { killAll, killHard, sleep, startServiceProcess, startedBy, until, type ServiceProcess } from './helpers/processes.ts';
import { signedBy, startWebhookReceiver, type ReceivedHook } from './helpers/webhook-receiver.ts';

const SECRET = 'a-webhook-secret-of-some-length';
/** The total deadline of an attempt and the stop's grace the service runs with, in seconds. */
const ATTEMPT_S = 6;
const GRACE_S = 2;

/** SIGTERM; answers the exit code and how long the exit took, or `alive` if it outlived `ms` (then killed). */
async function stopWithin(service: ServiceProcess, ms: number): Promise<{ code: number | null | 'alive'; tookMs: number }> {
  const started = Date.now();
  const code = await Promise.race([service.stop(), sleep(ms).then(() => 'alive' as const)]);
  const tookMs = Date.now() - started;
  if (code === 'alive') await killHard(service);
  return { code, tookMs };
}

describe('a webhook receiver that trickles its answer', () => {
  it('is cut at the attempt’s total deadline; SIGTERM ends the service within its grace; the next start delivers the webhook', async () => {
    const receiver = await startWebhookReceiver({ trickleEveryMs: 3000 });
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-slow-hook-'));
    const env = {
      SHIKAKU_API_KEYS: 'test:test-key',
      SHIKAKU_WEBHOOK_SECRET: SECRET,
      SHIKAKU_WEBHOOK_HOSTS: '127.0.0.1',
      SHIKAKU_WEBHOOK_ATTEMPT_S: String(ATTEMPT_S),
      SHIKAKU_SHUTDOWN_GRACE_S: String(GRACE_S),
    };
    const started: number[] = [];
    let service: ServiceProcess | undefined;
    try {
      service = await startServiceProcess({ dataDir, env });
      started.push(service.pid, ...startedBy(service.pid));
      const url = `${service.base}/v1/jobs?layout=kokuho-card&callbackUrl=${encodeURIComponent(receiver.url)}`;
      const posted = await fetch(url, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(kokuhoRecords(2)) });
      expect(posted.status).toBe(202);
      const { id } = (await posted.json()) as { id: string };
      expect((await waitForJob(service.base, id, 60_000)).state).toBe('done');

      // The first attempt trickles: the service closes it at its total deadline, not 10 s after a silence.
      const first = await until(() => receiver.received[0], 20_000, 'the first attempt');
      const closedAt = await until(() => first.closedAt, (ATTEMPT_S + 6) * 1000, 'the first attempt to be cut');
      expect(closedAt - first.at).toBeGreaterThan((ATTEMPT_S - 1) * 1000);
      expect(closedAt - first.at).toBeLessThan((ATTEMPT_S + 2) * 1000);
      const retrying = await service.first((e) => e.msg === 'webhook not delivered; retrying');
      expect(retrying).toMatchObject({ job: id, attempt: 1, outcome: `failed: no answer within ${ATTEMPT_S} s` });

      // The second attempt (after the first wait, 1 s) trickles too; SIGTERM while it is open.
      const second = await until(() => receiver.received[1], 10_000, 'the second attempt');
      await sleep(500);
      const stopped = await stopWithin(service, (GRACE_S + 8) * 1000);
      expect(stopped.code).toBe(0);
      // The grace, and a moment to close the browser: well before the attempt's own deadline.
      expect(stopped.tookMs).toBeLessThan((GRACE_S + 3) * 1000);
      expect(await until(() => second.closedAt, 2000, 'the cut attempt’s socket to close')).toBeGreaterThan(0);
      expect(service.log).toContainEqual(expect.objectContaining({ msg: 'webhook attempt cut by a stop; still pending', job: id }));
      // Pending on disk: the cut attempt is neither counted nor saved.
      const saved = JSON.parse(readFileSync(join(dataDir, 'jobs', id, 'job.json'), 'utf8')) as { webhook: Record<string, unknown> };
      expect(saved.webhook).toMatchObject({ state: 'pending', attempts: 1 });

      // The next start resumes the delivery; the receiver answers properly now.
      receiver.mode = { status: 204 };
      service = await startServiceProcess({ dataDir, env });
      started.push(service.pid, ...startedBy(service.pid));
      const status = async () =>
        (
          (await (await fetch(`${service!.base}/v1/jobs/${id}`, { headers: JSON_AUTH })).json()) as {
            webhook?: { state: string; attempts: number; delivery: string };
          }
        ).webhook;
      for (let i = 0; (await status())?.state !== 'delivered'; i++) {
        if (i > 100) throw new Error(`webhook still ${JSON.stringify(await status())}`);
        await sleep(100);
      }
      expect(await status()).toMatchObject({ state: 'delivered', attempts: 2 });
      const last = receiver.received.at(-1) as ReceivedHook;
      expect(receiver.received.length).toBe(3);
      // The same delivery each time (a receiver drops repeats by it), signed, and never a record's value.
      expect(new Set(receiver.received.map((h) => h.headers['x-shikaku-delivery'])).size).toBe(1);
      expect(signedBy(last, SECRET)).toBe(true);
      expect(JSON.parse(last.body)).toMatchObject({ event: 'job.done', job: { id, state: 'done' } });
      expect((await stopWithin(service, (GRACE_S + 8) * 1000)).code).toBe(0);
      service = undefined;
    } finally {
      if (service && service.child.exitCode === null && service.child.signalCode === null) await killHard(service);
      killAll(started);
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
