import { readdirSync, readFileSync } from 'node:fs';

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

  /** `includeSelf` false: only the tree of `rootPid` (a command the bench runs as a child process). */
  constructor(
    private readonly rootPid: () => number | undefined,
    private readonly includeSelf = true,
  ) {
    this.timer = setInterval(() => this.sample(), 200);
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU seconds used by node and by each kind of Chromium process (ended processes included as last seen). */
  cpu(): CpuSeconds {
    this.sample();
    const usage = process.cpuUsage();
    const out: CpuSeconds = { node: (usage.user + usage.system) / 1e6 };
    for (const { kind, ticks } of this.cpuByPid.values()) out[kind] = (out[kind] ?? 0) + ticks / TICKS_PER_SECOND;
    return out;
  }

  private sample(): void {
    // The whole process table is read once a second, to find the browser's new processes; in between only
    // the processes already known are read, so the sampler itself stays out of the figures it takes.
    if (this.samples++ % 5 === 0) {
      this.scan();
      const pss = [...(this.includeSelf ? [process.pid] : []), ...this.tree].reduce((sum, pid) => sum + readPss(pid), 0);
      this.peakPssKiB = Math.max(this.peakPssKiB, pss);
    }
    let total = this.includeSelf ? (readProc(process.pid)?.rssKiB ?? 0) : 0;
    const byKind: Record<string, number> = this.includeSelf ? { node: total } : {};
    for (const pid of this.tree) {
      const info = readProc(pid, this.rootPid());
      if (!info) continue;
      total += info.rssKiB;
      byKind[info.kind] = (byKind[info.kind] ?? 0) + info.rssKiB;
      this.cpuByPid.set(pid, { kind: info.kind, ticks: info.cpuTicks });
    }
    if (total > this.peakKiB) {
      this.peakKiB = total;
      this.peakByKind = byKind;
    }
  }

  private scan(): void {
    const root = this.rootPid();
    this.tree = [];
    if (root === undefined) return;
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // the process ended while we read
      }
    }
    for (const pid of parents.keys()) {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) {
        if (p === root) {
          this.tree.push(pid);
          break;
        }
      }
    }
  }
}

function readPss(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // the process ended while we read
  }
}

function readProc(pid: number, root?: number): ProcInfo | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1];
    const service = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1];
    return {
      rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      kind: type
        ? service
          ? `${type} ${service.split('.').pop()}`
          : type
        : pid === root
          ? 'browser'
          : 'zygote children (renderers of fresh tabs)',
    };
  } catch {
    return undefined; // the process ended while we read
  }
}
