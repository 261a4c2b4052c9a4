import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, getLayout, loadLayouts, loadSamples } from '../engine/index.ts';

// A person at a desk must not wait for a renewal run: counter prints have a tab that batch prints never take.

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const batch = Array.from({ length: 300 }, (_, i) => ({ ...samples[i % samples.length], number: String(i).padStart(7, '0') }));

let engine: Engine;
beforeAll(async () => {
  // One batch tab printing one chunk of 300 records, and one counter tab.
  engine = await Engine.start({ tabs: 1, counterTabs: 1, chunkSize: 300 });
});
afterAll(async () => engine?.close());

describe('the counter lane', () => {
  it('prints a counter card while the only batch tab is busy with a long chunk', async () => {
    engine.stepTimes.reset();
    const order: string[] = [];
    const run = engine.renderPdf('kokuho-card', batch).then(() => order.push('batch'));
    // The batch chunk is in its tab once its body has been put in.
    while (!engine.stepTimes.snapshot()['load chunk']) await new Promise((r) => setTimeout(r, 10));
    const counter = await engine.renderPdf('kokuho-card', [samples[0]], { lane: 'counter' });
    order.push('counter');
    await run;
    expect(counter.pageCount).toBe(2);
    expect(order).toEqual(['counter', 'batch']);
  });

  it('is not taken by batch prints: with the batch tab busy, a second batch render waits for it', async () => {
    engine.stepTimes.reset();
    const order: string[] = [];
    const first = engine.renderPdf('kokuho-card', batch).then(() => order.push('first'));
    while (!engine.stepTimes.snapshot()['load chunk']) await new Promise((r) => setTimeout(r, 10));
    const second = engine.renderPdf('kokuho-card', [samples[0]]).then(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });
});
