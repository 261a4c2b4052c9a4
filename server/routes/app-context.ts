import type { Logger } from 'pino';
import type { Engine, Insurers, Layout } from '../../engine/index.ts';
import type { RenderQueue } from '../render-queue.ts';
import type { Metrics } from '../metrics.ts';
import type { ApiKey, ServiceLimits } from '../config.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { DiskSpace } from '../jobs/disk-space.ts';
import type { IdempotencyKeys } from '../jobs/idempotency.ts';
import type { Webhooks } from '../jobs/webhooks.ts';
import type { RemoteCounter } from '../counter-print.ts';

/** What the routes need. */
export interface AppContext {
  /** The engine once it is up; undefined while it starts or after it failed. */
  engine: () => Engine | undefined;
  layouts: Map<string, Layout>;
  /** The insurer profiles records are completed from (SHIKAKU_INSURERS_DIR). */
  insurers: Insurers;
  /** The press's ICC profile for `color=press` (SHIKAKU_PRESS_ICC). */
  pressIcc?: string | undefined;
  apiKeys: readonly ApiKey[];
  limits: ServiceLimits;
  queue: RenderQueue;
  jobs: JobStore;
  /** Idempotency-Key of POST /v1/jobs, kept on disk. */
  idempotency: IdempotencyKeys;
  /** Job webhooks (callbackUrl). */
  webhooks: Webhooks;
  /** Where jobs wait and print: this process's runner, or BullMQ on Redis (scale-out). */
  jobQueue: JobQueue;
  disk: DiskSpace;
  /** Counter prints sent to the cluster's workers (`serve --api-only`, no browser here); left out: printed in `engine`. */
  counter?: RemoteCounter | undefined;
  metrics: Metrics;
  log: Logger;
  /** Aborts when the service stops: bodies being taken in are dropped, new requests get 503. */
  stopping: AbortSignal;
}
