import { describe, expect, it } from 'vitest';
import { RenderQueue } from '../server/render-queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RenderQueue', () => {
  it('runs at most `concurrency` tasks, lets `maxWaiting` wait, and refuses the rest at once', async () => {
    const q = new RenderQueue(2, 1, 5000);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(50);
      running--;
      return 'done';
    };
    const results = await Promise.allSettled([q.run(task), q.run(task), q.run(task), q.run(task), q.run(task)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'BUSY', retryAfterS: 1 });
    expect(peak).toBe(2);
  });

  it('never starts a task whose time ran out while it waited', async () => {
    const q = new RenderQueue(1, 5, 100);
    const started: string[] = [];
    const slow = q
      .run(async () => {
        started.push('slow');
        await sleep(300);
      })
      .catch((e: unknown) => e);
    const waiting = q.run(() => {
      started.push('waiting');
      return Promise.resolve();
    });
    await expect(waiting).rejects.toMatchObject({ code: 'TIMED_OUT' });
    expect(await slow).toMatchObject({ code: 'TIMED_OUT' });
    await sleep(50);
    expect(started).toEqual(['slow']);
    expect(q.depth).toBe(0);
  });

  it('tells a running task through its signal when its time runs out', async () => {
    const q = new RenderQueue(1, 1, 50);
    let seen: AbortSignal | undefined;
    await expect(
      q.run(async (signal) => {
        seen = signal;
        await sleep(150);
      }),
    ).rejects.toMatchObject({ code: 'TIMED_OUT' });
    expect(seen?.aborted).toBe(true);
  });
});
