import { createHmac, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import { PrintError } from '../../engine/index.ts';
import type { Job } from './job-model.ts';
import type { JobStore } from './job-store.ts';

/** Where webhooks may go and how they are signed (SHIKAKU_WEBHOOK_HOSTS, SHIKAKU_WEBHOOK_SECRET). */
export interface WebhookConfig {
  /** The secret of the HMAC-SHA256 signature; without it no job may ask for a webhook. */
  secret: string | undefined;
  /** Host names (or IP addresses) a callbackUrl may name; none: no job may ask for a webhook. */
  hosts: readonly string[];
  /** Waits between attempts, in ms: the first try, then one after each of these (the last one's failure gives up). */
  backoffMs?: readonly number[];
  /**
   * The longest one attempt may take, in ms, whole: lookup, connecting, sending, the answer's headers and
   * body (SHIKAKU_WEBHOOK_ATTEMPT_S, default 30 s). A receiver that trickles bytes is cut there.
   */
  attemptMs?: number;
}

/** The default total deadline of one attempt. */
export const ATTEMPT_MS = 30_000;

/**
 * Where a cluster's deliveries wait between attempts (redis/webhook-queue.ts): any process of the cluster
 * makes a delivery's next attempt, so a process that dies does not take its deliveries with it.
 */
export interface DeliveryQueue {
  /** Queues the delivery of job `id`'s pending webhook, its next attempt in `delayMs`. */
  add(id: string, delayMs: number): Promise<void>;
  /** Stops taking deliveries; an attempt under way past `graceMs` is cut and put back for another process. */
  close(graceMs: number): Promise<void>;
}

/**
 * Where a delivery stands after one attempt: still pending (the next attempt due in `retryInMs`), ended,
 * `gone` (its job or its pending delivery is no more: nothing to do), or `stopped` (a stop cut the attempt:
 * neither counted nor saved, so the next start or another process makes it again).
 */
export type AttemptResult =
  { state: 'pending'; retryInMs: number; outcome: string } | { state: 'delivered' | 'given up' | 'gone' | 'stopped' };

/** A callbackUrl that may not be used (REFUSED), said to the client. */
const refused = (message: string) => new PrintError('REFUSED', message);

/** Addresses a webhook never goes to, whatever the allow-list says: link-local (cloud metadata), unspecified, multicast. */
const NEVER = new BlockList();
NEVER.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, 169.254.169.254 metadata among them
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addSubnet('100.100.100.200', 32, 'ipv4'); // Alibaba Cloud metadata
NEVER.addSubnet('fe80::', 10, 'ipv6');
NEVER.addSubnet('fd00:ec2::254', 128, 'ipv6'); // AWS metadata over IPv6
NEVER.addSubnet('ff00::', 8, 'ipv6');
NEVER.addAddress('::', 'ipv6');

function forbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  return NEVER.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/** A URL's host name or address, an IPv6 address without its brackets. */
const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '');

/** The default waits between attempts: 1 s, 2 s, 4 s … about 8.5 minutes in all, 10 attempts. */
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000];

/** What a webhook says: the job's state and where its files are, never a record's value. */
export function webhookBody(job: Job): string {
  return JSON.stringify({
    event: job.state === 'done' ? 'job.done' : 'job.failed',
    job: {
      id: job.id,
      url: `/v1/jobs/${job.id}`,
      layout: job.layout,
      state: job.state,
      progress: { done: job.done, total: job.total, rejected: job.rejected },
      ...(job.state === 'done' ? { result: `/v1/jobs/${job.id}/result`, manifest: `/v1/jobs/${job.id}/manifest` } : {}),
      ...(job.error ? { error: job.error } : {}),
    },
    sentAt: new Date().toISOString(),
  });
}

/** `X-Shikaku-Signature` of `body` sent at `t` (unix seconds): `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** What webhooks read and save jobs through. */
export type WebhookStore = Pick<JobStore, 'get' | 'save' | 'pendingWebhooks'>;

/**
 * Webhooks of jobs (`callbackUrl`): checked when the job is posted (an allow-listed host, http or https,
 * never a link-local, metadata or unspecified address), sent as a signed POST when the job ends, retried
 * with backoff on a network error, an answer that is not 2xx or an attempt past its total deadline. Where
 * a delivery stands is saved with the job after every attempt, so a stop or crash does not lose it:
 * `resume` picks pending ones up at start, each at the time its next attempt was due. The address is
 * resolved and checked again at each attempt, and the request goes to exactly that address (no second
 * lookup a DNS answer could change in between). Alone on its folder the service times the retries itself;
 * in a cluster they wait in a queue any process takes them from (deliverThrough).
 */
export class Webhooks {
  private readonly hosts: Set<string>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Attempts under way: stop() waits for them, so none saves after the service has let go of its folder. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Aborted when a stop's grace has run out: attempts still under way are cut, not waited for. */
  private readonly cut = new AbortController();
  private queue: DeliveryQueue | undefined;
  private stopped = false;

  constructor(
    private readonly config: WebhookConfig,
    private readonly store: WebhookStore,
    private readonly log: Logger,
  ) {
    this.hosts = new Set(config.hosts.map((h) => h.toLowerCase()));
  }

  /** Checks a job's callbackUrl when the job is posted; answers it normalized. */
  check(url: string): string {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw refused(`callbackUrl is not a URL: ${JSON.stringify(url)}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw refused('callbackUrl must be an http or https URL');
    if (u.username || u.password) throw refused('callbackUrl may not carry a user name or password');
    if (!this.config.secret || this.hosts.size === 0)
      throw refused('webhooks are not enabled here: the operator sets SHIKAKU_WEBHOOK_SECRET and SHIKAKU_WEBHOOK_HOSTS');
    const host = hostOf(u).toLowerCase();
    if (isIP(host) && forbiddenAddress(host))
      throw refused(`callbackUrl may not name ${host}: a link-local, metadata or unspecified address`);
    if (!this.hosts.has(host)) throw refused(`callbackUrl's host ${host} is not on the allow-list (SHIKAKU_WEBHOOK_HOSTS)`);
    return u.toString();
  }

  /**
   * Marks the webhook of a job that is ending as pending, before the job's last save: the delivery is
   * saved with the end of the job, so neither a stop nor a crash between the two loses it.
   */
  prepare(job: Job): void {
    if (!job.callbackUrl || job.webhook) return;
    job.webhook = { delivery: randomUUID(), state: 'pending', attempts: 0, nextAt: new Date().toISOString() };
  }

  /**
   * From now on deliveries wait in `queue` (a cluster's), not in this process's timers; the queue is
   * closed by stop().
   */
  deliverThrough(queue: DeliveryQueue): void {
    this.queue = queue;
  }

  /** Tries at most, the first included: one more than the waits between them. */
  get attempts(): number {
    return (this.config.backoffMs ?? BACKOFF_MS).length + 1;
  }

  /** Sends the pending webhook of a job that has ended and been saved (unless the service is stopping). */
  notify(job: Job): void {
    if (job.webhook?.state === 'pending') this.schedule(job.id, 0);
  }

  /**
   * The deliveries a stop or crash left pending, each when its next attempt is due: at start (alone on a
   * folder), or in a cluster's upkeep (a queue takes a delivery it holds already once).
   */
  resume(): void {
    for (const job of this.store.pendingWebhooks()) {
      const due = Date.parse(job.webhook?.nextAt ?? '') - Date.now();
      this.schedule(job.id, Number.isFinite(due) ? Math.max(0, due) : 0);
    }
  }

  /**
   * Stops every pending retry (the service is stopping) and waits for attempts under way, at most `graceMs`:
   * then they are cut. Deliveries stay pending on disk (and in a cluster's queue) for the next start or
   * another process.
   */
  async stop(graceMs = Infinity): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue?.close(graceMs);
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, deadline - Date.now());
    const grace = Number.isFinite(graceMs) ? new Promise<void>((r) => (timer = setTimeout(r, left))) : new Promise<void>(() => undefined);
    await Promise.race([Promise.all(this.inFlight), grace]);
    clearTimeout(timer);
    // Past the grace: a cut attempt ends at once (its socket destroyed) and saves nothing.
    this.cut.abort();
    await Promise.all(this.inFlight);
  }

  private schedule(id: string, ms: number): void {
    if (this.stopped) return;
    if (this.queue) {
      const queue = this.queue;
      // Not lost if Redis is away now: the cluster's upkeep queues every delivery still pending on disk.
      void queue.add(id, ms).catch((err: Error) => this.log.warn({ job: id, err: err.message }, 'webhook not queued: redis'));
      return;
    }
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void this.attempt(id)
        .then((r) => {
          if (r.state === 'pending') this.schedule(id, r.retryInMs);
        })
        .catch((err: unknown) =>
          this.log.error({ job: id, err: err instanceof Error ? err.name : typeof err }, 'webhook attempt failed unexpectedly'),
        );
    }, ms);
    timer.unref();
    this.timers.set(id, timer);
  }

  /**
   * One attempt of a job's pending delivery, saved with the job; the job as saved says whether it is still
   * wanted. The attempt ends at its total deadline, or when `stop` (a cluster worker's) or this service's
   * stop cuts it. Answers where the delivery stands; the caller times the next attempt. Never throws for a
   * delivery's sake.
   */
  async attempt(id: string, stop?: AbortSignal): Promise<AttemptResult> {
    const run = this.attemptOnce(id, stop);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  private async attemptOnce(id: string, stop?: AbortSignal): Promise<AttemptResult> {
    const job = this.store.get(id); // deleted meanwhile (DELETE, retention): nothing to say any more
    const webhook = job?.webhook;
    if (!job?.callbackUrl || webhook?.state !== 'pending')
      return { state: webhook && webhook.state !== 'pending' ? webhook.state : 'gone' };
    const stopped = stop ? AbortSignal.any([this.cut.signal, stop]) : this.cut.signal;
    if (stopped.aborted) return { state: 'stopped' };
    const waits = this.config.backoffMs ?? BACKOFF_MS;
    const event = job.state === 'done' ? 'job.done' : 'job.failed';
    // Checked again at each attempt: the configuration may have changed since the job was posted (a
    // restart without the secret, a host taken off the allow-list).
    // Which process holds a delivery now (in a cluster, any one may): the one that logged its attempt last.
    this.log.info({ job: id, delivery: webhook.delivery, attempt: webhook.attempts + 1, pid: process.pid }, 'webhook attempt');
    let outcome: string;
    try {
      this.check(job.callbackUrl);
      outcome = await this.send(job.callbackUrl, webhookBody(job), { delivery: webhook.delivery, event, stopped });
    } catch (err) {
      outcome = err instanceof PrintError ? 'refused' : `failed: ${err instanceof Error ? err.name : 'error'}`;
    }
    if (stopped.aborted) {
      this.log.info({ job: id, delivery: webhook.delivery }, 'webhook attempt cut by a stop; still pending');
      return { state: 'stopped' };
    }
    // Deleted meanwhile (DELETE, retention): nothing more to say, and nothing to save.
    if (this.store.get(id) === undefined) return { state: 'gone' };
    webhook.attempts++;
    const meta = { job: id, delivery: webhook.delivery, attempt: webhook.attempts };
    delete webhook.nextAt;
    if (outcome === 'delivered') {
      webhook.state = 'delivered';
      delete webhook.lastOutcome;
      this.log.info(meta, 'webhook delivered');
    } else if (outcome === 'refused' || webhook.attempts > waits.length) {
      webhook.state = 'given up';
      webhook.lastOutcome = outcome;
      this.log.error({ ...meta, outcome }, 'webhook given up');
    } else {
      const wait = waits[webhook.attempts - 1] as number;
      webhook.nextAt = new Date(Date.now() + wait).toISOString();
      webhook.lastOutcome = outcome;
      this.log.warn({ ...meta, outcome, retryInMs: wait }, 'webhook not delivered; retrying');
    }
    await this.save(job);
    if (webhook.state !== 'pending') return { state: webhook.state };
    return { state: 'pending', retryInMs: Math.max(0, Date.parse(webhook.nextAt as string) - Date.now()), outcome };
  }

  /** Saves a delivery's state; a disk that refuses it leaves it in memory (the store's rule), not lost here. */
  private async save(job: Job): Promise<void> {
    try {
      await this.store.save(job);
    } catch (err) {
      this.log.warn({ job: job.id, code: (err as NodeJS.ErrnoException).code }, 'webhook state not saved');
    }
  }

  /**
   * One attempt: `delivered` on 2xx; `refused` when the address may not be used; else what failed. The
   * whole attempt, lookup to the answer's last byte, ends at the total deadline (or when `stopped`): its
   * socket is destroyed then, whatever the receiver is still trickling.
   */
  private async send(url: string, body: string, o: { delivery: string; event: string; stopped: AbortSignal }): Promise<string> {
    const limitMs = this.config.attemptMs ?? ATTEMPT_MS;
    const deadline = AbortSignal.timeout(limitMs);
    const signal = AbortSignal.any([deadline, o.stopped]);
    const timedOut = `failed: no answer within ${limitMs / 1000} s`;
    const u = new URL(url);
    const host = hostOf(u);
    let address: { address: string; family: number };
    try {
      address = isIP(host) ? { address: host, family: isIP(host) } : await untilAborted(lookup(host), signal);
    } catch (err) {
      if (signal.aborted) return timedOut;
      return `no address: ${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}`;
    }
    if (forbiddenAddress(address.address)) return 'refused';
    const secret = this.config.secret as string;
    const t = Math.floor(Date.now() / 1000);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<string>((resolve) => {
      let status: number | undefined;
      const answered = () => (status !== undefined && status >= 200 && status < 300 ? 'delivered' : `answered ${status}`);
      const req = request(
        url,
        {
          method: 'POST',
          // Aborting destroys the request and its socket: the deadline holds for the whole attempt, not
          // per silence, so a receiver trickling a byte now and then cannot keep it open.
          signal,
          // A connection of its own, closed after the answer: nothing of an attempt outlives it.
          agent: false,
          // The address checked above, and no other: a second lookup could answer differently.
          lookup: (_name, options, cb) => {
            if ((options as { all?: boolean }).all) cb(null, [address]);
            else cb(null, address.address, address.family);
          },
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'shikaku-print webhook',
            'x-shikaku-event': o.event,
            'x-shikaku-delivery': o.delivery,
            'x-shikaku-signature': signature(secret, t, body),
          },
        },
        (res) => {
          status = res.statusCode ?? 0;
          // The status decides, at once: the body is never read, and the connection is closed, so a
          // receiver that answers 2xx and then trickles its body holds no delivery slot.
          resolve(answered());
          res.destroy();
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (status !== undefined) resolve(answered());
        else resolve(deadline.aborted ? timedOut : `failed: ${err.code ?? err.message}`);
      });
      req.end(body);
    });
  }
}

/** `work`, or a rejection once `signal` is aborted (a DNS lookup cannot be cancelled, only left behind). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
