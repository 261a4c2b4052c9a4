import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LAYOUTS_DIR, SAMPLE_INSURERS_DIR, loadSamples, type Layout } from '../engine/index.ts';
import { GOLDEN_DIR } from '../qa/index.ts';
import { startStudio } from '../studio/studio.ts';
import { startEngine } from './start-engine.ts';
import { EXIT } from './report.ts';

/** Saves timed; each is one edit of the layout's style sheet, as a designer's editor writes it. */
const SAVES = 10;
/** The resolution the studio page asks for at "fit" on a desktop screen. */
const DPI = 300;
/** Time let pass after a picture before the next save, so that saves do not run into one another. */
const PAUSE_MS = 300;
/** How long one save may take to come back as a picture before the bench gives up. */
const GIVE_UP_MS = 60_000;

/** One server-sent event as the page receives it. */
interface StudioEvent {
  event: string;
  data: { files?: string[]; generation?: number; ms?: number };
}

/**
 * `bench --studio`: the studio's save-to-picture time. Starts a studio on a free loopback port over a
 * temporary copy of the layouts, looks at page 1 of the layout's first sample as the studio page does
 * (POST /api/proof), then saves a change to the layout's style sheet SAVES times. Each save is timed from
 * the file write until the `change` event arrives (the studio re-renders before it sends it) and until the
 * page's request that follows the event has the re-rendered picture. Prints median, p90 and max in ms;
 * asserts nothing.
 */
export async function benchStudio(layout: Layout, json: boolean): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'shikaku-bench-studio-'));
  const engine = await startEngine({ tabs: 1, insurersDir: SAMPLE_INSURERS_DIR });
  try {
    const layoutsDir = join(work, 'layouts');
    cpSync(LAYOUTS_DIR, layoutsDir, { recursive: true });
    const ownCss = layout.files.filter((f) => f.endsWith('.css')).at(-1);
    if (!ownCss) throw new Error(`layout ${layout.id} has no style sheet to save`);
    const shortCss = relative(LAYOUTS_DIR, ownCss);
    const css = join(layoutsDir, shortCss);
    const original = readFileSync(css, 'utf8');
    const studio = await startStudio({ port: 0, layoutsDir, goldenDir: GOLDEN_DIR, engine });
    const events = new EventReader(`${studio.url}api/events`);
    try {
      await events.next((e) => e.event === 'hello');
      const look = () => proof(studio.url, layout, loadSamples(layout)[0]);
      await look(); // what the designer looks at: the studio re-renders it on every save
      const times = { event: [] as number[], picture: [] as number[], render: [] as number[] };
      let notReady = 0;
      for (let save = 1; save <= SAVES; save++) {
        const t0 = performance.now();
        writeFileSync(css, `${original}\n.bench-studio-save { --save: ${save}; }\n`);
        const change = await events.next((e) => e.event === 'change' && (e.data.files ?? []).includes(shortCss));
        times.event.push(performance.now() - t0);
        const shown = await look();
        times.picture.push(performance.now() - t0);
        if (change.data.ms !== undefined) times.render.push(change.data.ms);
        if (!shown.cached) notReady++;
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
      report({ layout: layout.id, file: shortCss, times, notReady, json });
      return EXIT.ok;
    } finally {
      events.close();
      await studio.close();
    }
  } finally {
    await engine.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Page 1 of `record` as the studio page asks for it: a draft at DPI; says whether it was made before the request. */
async function proof(base: string, layout: Layout, record: unknown): Promise<{ cached: boolean }> {
  const res = await fetch(`${base}api/proof?layout=${encodeURIComponent(layout.id)}&page=1&dpi=${DPI}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record),
  });
  if (!res.ok) throw new Error(`the studio did not show ${layout.id}: ${res.status} ${await res.text()}`);
  return { cached: ((await res.json()) as { cached?: boolean }).cached === true };
}

function report(o: {
  layout: string;
  file: string;
  times: Record<'event' | 'picture' | 'render', number[]>;
  notReady: number;
  json: boolean;
}) {
  const picture = spread(o.times.picture);
  const event = spread(o.times.event);
  const render = spread(o.times.render);
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ layout: o.layout, file: o.file, saves: SAVES, dpi: DPI, ...picture, event, render, notReady: o.notReady })}\n`,
    );
    return;
  }
  const line = (name: string, s: Spread) => `${name.padEnd(22)}median ${s.medianMs} ms, p90 ${s.p90Ms} ms, max ${s.maxMs} ms`;
  const lines = [
    `studio save-to-picture: ${o.file} saved ${SAVES} times, page 1 at ${DPI} dpi, studio on loopback`,
    line('save → picture', picture),
    line('save → change event', event),
    line('re-render (studio)', render),
  ];
  if (o.notReady) lines.push(`${o.notReady} of ${SAVES} pictures were not ready when the page asked (printed on request)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface Spread {
  medianMs: number;
  p90Ms: number;
  maxMs: number;
}

/** Median, 90th percentile (nearest rank) and maximum, rounded to ms. */
function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => Math.round(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0);
  return { medianMs: rank(0.5), p90Ms: rank(0.9), maxMs: Math.round(sorted.at(-1) ?? 0) };
}

/** Reads a server-sent event stream, and hands out its events in order as they come. */
class EventReader {
  private readonly controller = new AbortController();
  private readonly queue: StudioEvent[] = [];
  private wake: (() => void) | undefined;
  private failed: Error | undefined;

  constructor(url: string) {
    void this.read(url).catch((err: unknown) => {
      if (!this.controller.signal.aborted) this.failed = err as Error;
      this.wake?.();
    });
  }

  /** The next event that `wanted` accepts (earlier ones are dropped); fails after GIVE_UP_MS. */
  async next(wanted: (e: StudioEvent) => boolean): Promise<StudioEvent> {
    const end = performance.now() + GIVE_UP_MS;
    for (;;) {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) if (wanted(e)) return e;
      if (this.failed) throw this.failed;
      const left = end - performance.now();
      if (left <= 0) throw new Error(`no studio event came within ${GIVE_UP_MS / 1000} s`);
      await new Promise<void>((woken) => {
        const timer = setTimeout(woken, left);
        this.wake = () => {
          clearTimeout(timer);
          woken();
        };
      });
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async read(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.controller.signal });
    if (!res.body) throw new Error('the studio sent no event stream');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event) this.queue.push({ event, data: data ? (JSON.parse(data) as StudioEvent['data']) : {} });
      }
      this.wake?.();
    }
  }
}
