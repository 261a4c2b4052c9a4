import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** CPU seconds by process kind: node itself, and Chromium's browser, renderer, GPU and utility processes. */
export type CpuSeconds = Record<string, number>;

interface ProcInfo {
  rssKiB: number;
  cpuTicks: number;
  kind: string;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * Samples, every 200 ms, the resident memory of this process plus a browser and every process it started
 * (Linux /proc), and keeps the highest sum seen at one instant; `cpu()` says how much processor time each
 * kind of process has used so far. For the bench: figures, not assertions.
 *
 * It reads /proc without blocking the event loop: reading a big renderer's smaps_rollup takes the kernel
 * milliseconds (more on a busy machine), and done synchronously it held up the engine it measured, which
 * answers Chromium from the same loop (a CPU profile of bench --records 2000 on a busy machine: 3.4 s of
 * 42 s in readPss).
 */
export class ProcessSampler {
  /** The highest node + browser-tree resident memory seen in one sample. */
  peakKiB = 0;
  /**
   * The highest proportional set size (PSS: a page shared by several processes counted once, in parts)
   * of the same processes, read once a second: the memory the run really takes from the machine, where
   * the resident sum counts Chromium's shared code and fonts once per process.
   */
  peakPssKiB = 0;
  /** At that sample: resident memory by kind of process (node, browser, renderer …), summed. */
  peakByKind: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;
  private readonly cpuByPid = new Map<number, { kind: string; ticks: number }>();
  private tree: number[] = [];
  private samples = 0;
  private sampling = false;
  /** Each process's kind, read once from its command line. */
  private readonly kinds = new Map<number, string>();

  /** `includeSelf` false: only the tree of `rootPid` (a command the bench runs as a child process). */
  constructor(
    private readonly rootPid: () => number | undefined,
    private readonly includeSelf = true,
  ) {
    this.timer = setInterval(() => void this.sample(), 200);
    void this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU seconds used by node and by each kind of Chromium process (ended processes included as last seen). */
  cpu(): CpuSeconds {
    // The last reading, now: the processes' CPU ticks so far (a few small reads).
    for (const pid of this.tree) {
      const ticks = cpuTicks(readText(`/proc/${pid}/stat`));
      const known = this.cpuByPid.get(pid);
      if (ticks !== undefined && known) known.ticks = ticks;
    }
    const usage = process.cpuUsage();
    const out: CpuSeconds = { node: (usage.user + usage.system) / 1e6 };
    for (const { kind, ticks } of this.cpuByPid.values()) out[kind] = (out[kind] ?? 0) + ticks / TICKS_PER_SECOND;
    return out;
  }

  private async sample(): Promise<void> {
    if (this.sampling) return; // the last one is still reading
    this.sampling = true;
    try {
      // The whole process table is read once a second, to find the browser's new processes; in between
      // only the processes already known are read, so the sampler itself stays out of the figures it takes.
      if (this.samples++ % 5 === 0) {
        await this.scan();
        const pids = [...(this.includeSelf ? [process.pid] : []), ...this.tree];
        const pss = (await Promise.all(pids.map(readPss))).reduce((sum, kib) => sum + kib, 0);
        this.peakPssKiB = Math.max(this.peakPssKiB, pss);
      }
      let total = this.includeSelf ? ((await this.readProc(process.pid))?.rssKiB ?? 0) : 0;
      const byKind: Record<string, number> = this.includeSelf ? { node: total } : {};
      const infos = await Promise.all(this.tree.map(async (pid) => [pid, await this.readProc(pid)] as const));
      for (const [pid, info] of infos) {
        if (!info) continue;
        total += info.rssKiB;
        byKind[info.kind] = (byKind[info.kind] ?? 0) + info.rssKiB;
        this.cpuByPid.set(pid, { kind: info.kind, ticks: info.cpuTicks });
      }
      if (total > this.peakKiB) {
        this.peakKiB = total;
        this.peakByKind = byKind;
      }
    } finally {
      this.sampling = false;
    }
  }

  private async scan(): Promise<void> {
    const root = this.rootPid();
    if (root === undefined) {
      this.tree = [];
      return;
    }
    const parents = new Map<number, number>();
    const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
    await Promise.all(
      entries.map(async (entry) => {
        const stat = await readTextAsync(`/proc/${entry}/stat`);
        if (stat) parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      }),
    );
    const tree: number[] = [];
    for (const pid of parents.keys()) {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) {
        if (p === root) {
          tree.push(pid);
          break;
        }
      }
    }
    this.tree = tree;
  }

  private async readProc(pid: number): Promise<ProcInfo | undefined> {
    const [status, stat] = await Promise.all([readTextAsync(`/proc/${pid}/status`), readTextAsync(`/proc/${pid}/stat`)]);
    const ticks = cpuTicks(stat);
    if (status === undefined || ticks === undefined) return undefined; // the process ended while we read
    let kind = this.kinds.get(pid);
    if (kind === undefined) {
      const cmdline = (await readTextAsync(`/proc/${pid}/cmdline`)) ?? '';
      const type = /--type=([a-z-]+)/.exec(cmdline)?.[1];
      const service = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1];
      kind = type
        ? service
          ? `${type} ${service.split('.').pop()}`
          : type
        : pid === this.rootPid()
          ? 'browser'
          : pid === process.pid
            ? 'node'
            : 'zygote children (renderers of fresh tabs)';
      this.kinds.set(pid, kind);
    }
    return { rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), cpuTicks: ticks, kind };
  }
}

/** A /proc file's text, or undefined when the process ended while we read. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readTextAsync(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime from a /proc/PID/stat line: fields 14 and 15, after the command name (in parentheses, may hold spaces). */
function cpuTicks(stat: string | undefined): number | undefined {
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function readPss(pid: number): Promise<number> {
  return Number(/^Pss:\s+(\d+)/m.exec((await readTextAsync(`/proc/${pid}/smaps_rollup`)) ?? '')?.[1] ?? 0);
}
