// The engine's browser supervision: a scheduled replacement after N chunks, and a hung browser killed.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine, loadLayouts, getLayout, loadSamples } from '../engine/index.ts';

const samples = loadSamples(getLayout(loadLayouts(), 'kokuho-card')) as Record<string, unknown>[];
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ ...samples[i % 3], number: String(i + 1).padStart(7, '0') }));
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

describe('browser supervision', () => {
  it('replaces the browser after restartAfter chunks, and the output is whole', async () => {
    const engine = await Engine.start({ chunkSize: 5, restartAfter: 3 });
    const reasons: string[] = [];
    engine.events.on('restart', (r: string) => reasons.push(r));
    try {
      const first = engine.browserPid()!;
      const result = await engine.renderPdf('kokuho-card', records(60));
      expect(result.pageCount).toBe(120);
      // A scheduled replacement starts the new browser in the background: wait for the last one (a browser
      // starts in 2–3 s on a quiet machine; 30 s is the safety net of a busy one).
      for (let i = 0; i < 300 && reasons.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(reasons.length).toBeGreaterThanOrEqual(2);
      expect(new Set(reasons)).toEqual(new Set(['scheduled']));
      expect(engine.browserPid()).not.toBe(first);
    } finally {
      await engine.close();
    }
  });

  it('kills a browser that stops answering and prints the chunk again in a new one', async () => {
    // The hung browser is found by the chunk's time limit, which also bounds the new browser's first print:
    // about 1 s on a quiet machine, so 10 s, not the 3 s a busy machine can pass without a fault.
    const engine = await Engine.start({ timeoutMs: 10_000 });
    const reasons: string[] = [];
    engine.events.on('restart', (r: string) => reasons.push(r));
    const hung = engine.browserPid()!;
    try {
      process.kill(hung, 'SIGSTOP');
      const result = await engine.renderPdf('kokuho-card', records(3));
      expect(result.pageCount).toBe(6);
      expect(reasons).toContain('failed');
      expect(engine.browserPid()).not.toBe(hung);
      expect(alive(hung)).toBe(false);
      expect(engine.isReady()).toBe(true);
    } finally {
      try {
        process.kill(hung, 'SIGCONT');
      } catch {
        // already killed
      }
      await engine.close();
    }
  });
});
