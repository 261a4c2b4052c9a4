import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSamples, type Layout } from '../engine/index.ts';
import { startCliProcess } from './cli-process.ts';
import { EXIT } from './report.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The service's resident memory now and at its peak, from /proc (MiB). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/**
 * `bench --intake --mb N`: how the service takes in a job body of N MiB of NDJSON. The service runs as
 * its own process (as `npm start` runs it), so its memory is its own; the body is generated as it is sent,
 * from the layout's samples renumbered, with its length said first, and /healthz is asked every 50 ms
 * meanwhile. Prints the time to 202 and how long after the last byte it came, the throughput, the worst and
 * 99th-percentile /healthz latency, and the service's memory growth.
 */
export async function benchIntake(layout: Layout, mb: number): Promise<number> {
  const samples = loadSamples(layout) as Record<string, unknown>[];
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-intake-'));
  const env = { ...process.env, SHIKAKU_DATA_DIR: dataDir, SHIKAKU_API_KEYS: 'bench', SHIKAKU_SHUTDOWN_GRACE_S: '2' };
  const service = startCliProcess(['serve', '--port', '0', '--host', '127.0.0.1'], env);
  const child = service.child;
  try {
    const { port } = (await service.first((l) => l.msg === 'listening')) as { port: number };
    const base = `http://127.0.0.1:${port}`;
    while (
      (await fetch(`${base}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    )
      await sleep(200);
    await sleep(1000);
    const before = memoryOf(child.pid!);
    const latencies: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        await fetch(`${base}/healthz`);
        latencies.push(performance.now() - t);
        await sleep(50);
      }
    })();
    const block = Array.from(
      { length: 1000 },
      (_, i) => `${JSON.stringify({ ...samples[i % samples.length], number: String(i).padStart(7, '0') })}\n`,
    ).join('');
    const blocks = Math.ceil((mb * 2 ** 20) / Buffer.byteLength(block));
    const t0 = performance.now();
    let uploaded = 0;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${base}/v1/jobs?layout=${layout.id}`,
        {
          method: 'POST',
          // As a file is sent (curl --data-binary @FILE): its length said first, so that a large body is
          // answered on receipt and checked afterwards (docs/spec/interfaces.md, Reliability).
          headers: {
            authorization: 'Bearer bench',
            'content-type': 'application/x-ndjson',
            'content-length': String(blocks * Buffer.byteLength(block)),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < blocks) {
          sent++;
          if (!req.write(block)) return void req.once('drain', pump);
        }
        req.end(() => (uploaded = performance.now()));
      };
      pump();
    });
    const secs = (performance.now() - t0) / 1000;
    polling = false;
    await poll;
    const after = memoryOf(child.pid!);
    const sorted = latencies.sort((a, b) => a - b);
    const records = blocks * 1000;
    const bytes = blocks * Buffer.byteLength(block);
    const lines = [
      `body              ${(bytes / 2 ** 20).toFixed(0)} MiB NDJSON, ${records} ${layout.id} records`,
      `answer            ${answer.status} after ${secs.toFixed(1)} s (${(bytes / 2 ** 20 / secs).toFixed(1)} MiB/s, ${(records / secs).toFixed(0)} records/s), ${((t0 + secs * 1000 - uploaded) / 1000).toFixed(2)} s after the last byte was sent`,
      `/healthz          ${sorted.length} probes: p50 ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} ms, p99 ${(sorted[Math.floor(sorted.length * 0.99)] ?? 0).toFixed(1)} ms, worst ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
      `service memory    ${before.rss.toFixed(0)} MiB before, peak ${after.peak.toFixed(0)} MiB (growth ${(after.peak - before.rss).toFixed(0)} MiB)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return answer.status === 202 ? EXIT.ok : EXIT.failure;
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
