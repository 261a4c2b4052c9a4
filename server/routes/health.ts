import type { Express } from 'express';
import type { AppContext } from './app-context.ts';

/** The operator's routes, without a key: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics). */
export function addHealthRoutes(app: Express, ctx: AppContext): void {
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const browser = ctx.engine()?.isReady() === true;
    const low = ctx.disk.low();
    const disk = { freeMb: Math.floor(ctx.disk.free() / 2 ** 20), minFreeMb: Math.ceil(ctx.disk.minFree / 2 ** 20), low };
    const queue = await ctx.jobQueue.readiness();
    // An API instance of a cluster prints no jobs: it is ready when Redis is; its browser serves counter prints
    // only, and an --api-only instance has none (its counter prints go to the workers).
    const cluster = ctx.jobQueue.mode === 'redis';
    const ready = queue.ready && !low && (cluster || browser);
    const dependsOn = [cluster ? 'redis' : 'browser', 'disk'];
    const counterPrints = ctx.counter ? 'workers' : 'browser';
    res.status(ready ? 200 : 503).json({ ready, dependsOn, counterPrints, browser, disk, ...queue.facts });
  });
  app.get('/metrics', async (_req, res) => {
    ctx.metrics.queueDepth.set(ctx.queue.depth);
    await ctx.jobQueue.collect().catch(() => undefined);
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
