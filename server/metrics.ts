import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, in a registry of their own (GET /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shikaku_' });
  return {
    registry,
    renderSeconds: new Histogram({
      name: 'shikaku_render_duration_seconds',
      help: 'Time to render: one synchronous request, or one chunk of a batch job',
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    pages: new Counter({
      name: 'shikaku_pages_rendered_total',
      help: 'Pages rendered',
      labelNames: ['layout'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'shikaku_queue_depth', help: 'Synchronous renders waiting for a tab', registers: [registry] }),
    jobsWaiting: new Gauge({ name: 'shikaku_jobs_waiting', help: 'Batch jobs queued or running', registers: [registry] }),
    restarts: new Counter({
      name: 'shikaku_browser_restarts_total',
      help: 'Browser restarts',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'shikaku_rejections_total',
      help: 'Requests or records refused',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

/** The metrics object the service passes around. */
export type Metrics = ReturnType<typeof createMetrics>;
