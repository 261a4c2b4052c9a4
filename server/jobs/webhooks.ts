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
}

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
 * with backoff on a network error or an answer that is not 2xx. Where a delivery stands is saved with the
 * job after every attempt, so a stop or crash does not lose it: `resume` picks pending ones up at start,
 * each at the time its next attempt was due. The address is resolved and checked again at each attempt,
 * and the request goes to exactly that address (no second lookup a DNS answer could change in between).
 */
export class Webhooks {
  private readonly hosts: Set<string>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Attempts under way: stop() waits for them, so none saves after the service has let go of its folder. */
  private readonly inFlight = new Set<Promise<void>>();
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

  /** Sends the pending webhook of a job that has ended and been saved (unless the service is stopping). */
  notify(job: Job): void {
    if (job.webhook?.state === 'pending') this.schedule(job.id, 0);
  }

  /** At start: the deliveries a stop or crash left pending, each when its next attempt is due. */
  resume(): void {
    for (const job of this.store.pendingWebhooks()) {
      const due = Date.parse(job.webhook?.nextAt ?? '') - Date.now();
      this.schedule(job.id, Number.isFinite(due) ? Math.max(0, due) : 0);
    }
  }

  /**
   * Stops every pending retry (the service is stopping) and waits for attempts under way; deliveries stay
   * pending on disk for the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }

  private schedule(id: string, ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      const run = this.attempt(id).catch((err: unknown) =>
        this.log.error({ job: id, err: err instanceof Error ? err.name : typeof err }, 'webhook attempt failed unexpectedly'),
      );
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }, ms);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** One attempt of a job's pending delivery; the job as saved says whether it is still wanted. Never throws for a delivery's sake. */
  private async attempt(id: string): Promise<void> {
    const job = this.store.get(id); // deleted meanwhile (DELETE, retention): nothing to say any more
    const webhook = job?.webhook;
    if (!job?.callbackUrl || webhook?.state !== 'pending' || this.stopped) return;
    const waits = this.config.backoffMs ?? BACKOFF_MS;
    const event = job.state === 'done' ? 'job.done' : 'job.failed';
    // Checked again at each attempt: the configuration may have changed since the job was posted (a
    // restart without the secret, a host taken off the allow-list).
    let outcome: string;
    try {
      this.check(job.callbackUrl);
      outcome = await this.send(job.callbackUrl, webhookBody(job), webhook.delivery, event);
    } catch (err) {
      outcome = err instanceof PrintError ? 'refused' : `failed: ${err instanceof Error ? err.name : 'error'}`;
    }
    // Deleted meanwhile (DELETE, retention): nothing more to say, and nothing to save.
    if (this.store.get(id) === undefined) return;
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
    if (webhook.state === 'pending') this.schedule(id, Date.parse(webhook.nextAt as string) - Date.now());
  }

  /** Saves a delivery's state; a disk that refuses it leaves it in memory (the store's rule), not lost here. */
  private async save(job: Job): Promise<void> {
    try {
      await this.store.save(job);
    } catch (err) {
      this.log.warn({ job: job.id, code: (err as NodeJS.ErrnoException).code }, 'webhook state not saved');
    }
  }

  /** One attempt: `delivered` on 2xx; `refused` when the address may not be used; else what failed. */
  private async send(url: string, body: string, delivery: string, event: string): Promise<string> {
    const u = new URL(url);
    const host = hostOf(u);
    let address: { address: string; family: number };
    try {
      address = isIP(host) ? { address: host, family: isIP(host) } : await lookup(host);
    } catch (err) {
      return `no address: ${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}`;
    }
    if (forbiddenAddress(address.address)) return 'refused';
    const secret = this.config.secret as string;
    const t = Math.floor(Date.now() / 1000);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<string>((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          timeout: 10_000,
          // The address checked above, and no other: a second lookup could answer differently.
          lookup: (_name, options, cb) => {
            if ((options as { all?: boolean }).all) cb(null, [address]);
            else cb(null, address.address, address.family);
          },
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'shikaku-print webhook',
            'x-shikaku-event': event,
            'x-shikaku-delivery': delivery,
            'x-shikaku-signature': signature(secret, t, body),
          },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 300 ? 'delivered' : `answered ${status}`);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(`failed: ${err.code ?? err.message}`));
      req.end(body);
    });
  }
}
