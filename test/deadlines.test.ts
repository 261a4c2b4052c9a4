// Deadlines: a render past its time limit is stopped where it runs (a chunk in Chromium, pdftoppm) and
// leaves no process, no temporary file and no lost tab behind; a PNG render rasterizes only its page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { PDFDocument } from 'pdf-lib';
import { Engine, PrintError, getLayout, loadLayouts, loadSamples, rasterizePdf } from '../engine/index.ts';

const layout = getLayout(loadLayouts(), 'kokuho-card');
const samples = loadSamples(layout) as Record<string, unknown>[];
const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...samples[i % samples.length], number: String(i + 1).padStart(7, '0') }));

/** pdftoppm processes started by this test process that are still alive (a reaped one has no /proc entry). */
function ourPdftoppms(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith('pdftoppm')) return false;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false; // it exited while we looked
      }
    })
    .map(Number);
}

/** CPU ticks used so far by each living process of the browser `root` (itself, zygotes, renderers, GPU). */
function browserCpuTicks(root: number): Map<number, number> {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After "pid (comm) ": state, ppid, ...; utime and stime (fields 14 and 15 of stat) are here 11 and 12.
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [{ pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }];
      } catch {
        return []; // it exited while we looked
      }
    });
  const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number): boolean => pid === root || (pid > 1 && descends(parent.get(pid) ?? 0));
  return new Map(procs.filter((p) => descends(p.pid)).map((p) => [p.pid, p.ticks]));
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** CPU seconds the browser `root` spends in the next `ms`: near 0 when it has nothing to do. */
async function browserCpuSecondsDuring(root: number, ms: number): Promise<number> {
  const before = browserCpuTicks(root);
  await new Promise((resolve) => setTimeout(resolve, ms));
  let ticks = 0;
  for (const [pid, t] of browserCpuTicks(root)) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS;
}

/** The rasterizer's temporary folders in os.tmpdir(). */
// This process's PNG folders only (the pid is in the name): other test files render PNGs at the same time.
const pngFolders = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith(`shikaku-print-png-${process.pid}-`)));

/** `work`, or a failure naming `what` after `ms`: a hang fails the test instead of timing it out. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

let engine: Engine;
let reference: Uint8Array;
let referencePngs: Buffer[];

beforeAll(async () => {
  // 150 records a chunk: the 300-card render is two chunks, each in Chromium for seconds after the abort.
  engine = await Engine.start({ tabs: 2, chunkSize: 150 });
  reference = (await engine.renderPdf('kokuho-card', records(3))).pdf;
  referencePngs = await rasterizePdf(reference, 6, layout.page, 300);
});
afterAll(async () => engine?.close());

describe('deadlines', () => {
  it('stops a PNG render whose chunks are in Chromium at its abort, and both tabs print again afterwards', async () => {
    const before = pngFolders();
    const browser = engine.browserPid();
    const restarts: string[] = [];
    engine.events.on('restart', (reason: string) => restarts.push(reason));
    const abort = new AbortController();
    engine.stepTimes.reset();
    let settled = false;
    const rendering = engine
      .renderPage('kokuho-card', records(300), { page: 1, signal: abort.signal })
      .catch((e: unknown) => e)
      .finally(() => (settled = true));
    // The abort comes when both chunks are in their tabs, loaded and not printed yet: the engine's step clock
    // counts the loads. (A fixed 1.5 s came after the render on a quiet machine, and proved nothing.)
    while (!settled && (engine.stepTimes.snapshot()['load chunk']?.count ?? 0) < 2) await new Promise((r) => setTimeout(r, 10));
    const settledBeforeAbort = settled;
    const abortedAt = performance.now();
    abort.abort();
    const err = await within(60_000, 'the cancelled render', rendering);
    const lateMs = performance.now() - abortedAt;

    expect(settledBeforeAbort).toBe(false); // the 300 cards were still rendering when the abort came
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).code).toBe('CANCELLED');
    expect(lateMs).toBeLessThan(1500);
    expect(ourPdftoppms()).toEqual([]);
    expect([...pngFolders()].filter((f) => !before.has(f))).toEqual([]);
    // A cancellation is not a browser failure: no retry, no restart.
    expect(restarts).toEqual([]);
    expect(engine.browserPid()).toBe(browser);
    // Chromium stopped the two chunks (their tabs were closed) instead of printing them for nobody.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await browserCpuSecondsDuring(browser!, 1500)).toBeLessThan(0.5);

    // Two renders at once need both tabs: a closed tab that was not replaced would leave one waiting forever.
    const started = performance.now();
    const [first, fourth] = await within(
      15_000,
      'two single renders after the cancellation',
      Promise.all([engine.renderPage('kokuho-card', records(3), { page: 1 }), engine.renderPage('kokuho-card', records(3), { page: 4 })]),
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(first.pageCount).toBe(6);
    expect(fourth.pageCount).toBe(6);
    expect(first.png.equals(referencePngs[0]!)).toBe(true);
    expect(fourth.png.equals(referencePngs[3]!)).toBe(true);
  });

  it('rasterizes only the asked page: one PNG equal to that page of a full rasterization', async () => {
    const pngs = await rasterizePdf(reference, 6, layout.page, 300, { firstPage: 4, lastPage: 4 });
    expect(pngs).toHaveLength(1);
    expect(pngs[0]!.equals(referencePngs[3]!)).toBe(true);
    expect(pngs[0]!.equals(referencePngs[2]!)).toBe(false); // the comparison tells pages apart
  });

  it('kills pdftoppm and removes its temporary folder when a rasterization is aborted', async () => {
    // 200 pages at 600 dpi keep pdftoppm busy for many seconds; pdf-lib copies the pages without Chromium.
    const big = await PDFDocument.create();
    const source = await PDFDocument.load(reference);
    const copies = await big.copyPages(
      source,
      Array.from({ length: 200 }, (_, i) => i % 6),
    );
    for (const page of copies) big.addPage(page);
    const pdf = await big.save();

    const before = pngFolders();
    const abort = new AbortController();
    let runningAtAbort: number[] = [];
    let foldersAtAbort: string[] = [];
    let abortedAt = 0;
    setTimeout(() => {
      runningAtAbort = ourPdftoppms();
      foldersAtAbort = [...pngFolders()].filter((f) => !before.has(f));
      abortedAt = performance.now();
      abort.abort();
    }, 300);
    const err = await rasterizePdf(pdf, 200, layout.page, 600, { signal: abort.signal }).catch((e: unknown) => e);
    const lateMs = performance.now() - abortedAt;

    expect(runningAtAbort.length).toBeGreaterThan(0); // the abort came while pdftoppm ran
    expect(foldersAtAbort.length).toBe(1);
    expect(err).toBeInstanceOf(PrintError);
    expect((err as PrintError).code).toBe('CANCELLED');
    expect(lateMs).toBeLessThan(1000);
    expect(ourPdftoppms()).toEqual([]);
    expect(pngFolders().has(foldersAtAbort[0]!)).toBe(false);
  });

  it.each([0, 7, 1.5])('rejects page %s of 3 two-sided cards as INVALID_INPUT before any Chromium work', async (page) => {
    // A stopped browser answers nothing: a render that reached Chromium would hang here.
    const browser = engine.browserPid()!;
    process.kill(browser, 'SIGSTOP');
    try {
      const err = await within(
        2000,
        'the page check',
        engine.renderPage('kokuho-card', records(3), { page }).catch((e: unknown) => e),
      );
      expect(err).toBeInstanceOf(PrintError);
      expect((err as PrintError).code).toBe('INVALID_INPUT');
      expect((err as PrintError).message).toBe(`page must be a whole number from 1 to 6, not ${page}`);
    } finally {
      process.kill(browser, 'SIGCONT');
    }
  });
});
