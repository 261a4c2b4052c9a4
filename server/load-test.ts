/** Figures of one load level. */
export interface LoadFigures {
  clients: number;
  seconds: number;
  ok: number;
  /** Answers by status other than 200. */
  refused: Record<number, number>;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * A bounded load loop against the service on loopback: `clients` workers each send one single-card render
 * after another for `seconds` (waiting as Retry-After asks when refused with 429), and the latencies of
 * the answered (200) requests are measured. It only
 * ever targets the given base URL, stops by itself, and sends at most `maxRequests` requests.
 */
export async function runLoad(
  base: string,
  headers: Record<string, string>,
  body: string,
  clients: number,
  seconds: number,
  maxRequests = 20_000,
  layoutId = 'kokuho-card',
): Promise<LoadFigures> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(base)) throw new Error(`load tests target loopback only, not ${base}`);
  const latencies: number[] = [];
  const refused: Record<number, number> = {};
  let sent = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < until && sent < maxRequests) {
      sent++;
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/render/${layoutId}`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - t0);
      else refused[res.status] = (refused[res.status] ?? 0) + 1;
      // A well-behaved client waits as long as Retry-After asks before it tries again.
      const retryAfter = Number(res.headers.get('retry-after') ?? 0);
      if (res.status === 429 && retryAfter > 0)
        await new Promise((r) => setTimeout(r, Math.min(retryAfter * 1000, Math.max(0, until - performance.now()))));
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    clients,
    seconds: elapsed,
    ok: latencies.length,
    refused,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? 0,
  };
}
