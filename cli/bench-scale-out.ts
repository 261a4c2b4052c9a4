import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadSamples, type Layout } from '../engine/index.ts';
import { treeBytes } from './bench-diff.ts';
import { startCliProcess, type CliProcess } from './cli-process.ts';
import { startRedis, type RedisProcess } from './redis-server.ts';
import { EXIT } from './report.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEY = 'bench-key';

/** Calls of every Redis command so far (INFO commandstats), and those that ran scripts. */
async function redisCalls(url: string): Promise<{ all: number; scripts: number }> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info('commandstats');
    let all = 0;
    let scripts = 0;
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const calls = Number(m[2]);
      all += calls;
      if (/^(evalsha|eval|fcall)/.test(m[1] as string)) scripts += calls;
    }
    return { all, scripts };
  } finally {
    client.disconnect();
  }
}

/** Posts a job and waits until it is done; answers its seconds and its folder's peak and final sizes. */
async function runJob(base: string, dataDir: string, layout: Layout, body: string) {
  const started = performance.now();
  const res = await fetch(`${base}/v1/jobs?layout=${layout.id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 202) throw new Error(`the job was refused: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const folder = join(dataDir, 'jobs', id);
  let peak = 0;
  let polls = 0;
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
      state: string;
      error?: string;
    };
    if (job.state === 'done') break;
    if (job.state === 'failed') throw new Error(`the job failed: ${job.error}`);
    if (polls++ % 10 === 0) peak = Math.max(peak, treeBytes(folder));
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, peakBytes: peak, resultBytes: treeBytes(folder) };
}

type Variant = 'embedded' | 'oneWorkerTwoTabs' | 'twoWorkersOneTab';

/** Starts one variant's processes on a fresh folder (and Redis); answers its API's base URL. */
async function startVariant(variant: Variant) {
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-bench-cluster-'));
  const redis: RedisProcess | undefined = variant === 'embedded' ? undefined : await startRedis();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHIKAKU_DATA_DIR: dataDir,
    SHIKAKU_API_KEYS: `bench:${KEY}`,
    SHIKAKU_SHUTDOWN_GRACE_S: '5',
    ...(redis ? { SHIKAKU_REDIS_URL: redis.url } : {}),
  };
  const procs: CliProcess[] = [];
  const close = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await redis?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const api = startCliProcess(['serve', '--port', '0', '--host', '127.0.0.1'], env);
    procs.push(api);
    const listening = await api.first((l) => l.msg === 'listening');
    const base = `http://127.0.0.1:${String(listening.port)}`;
    const workers = variant === 'oneWorkerTwoTabs' ? [2] : variant === 'twoWorkersOneTab' ? [1, 1] : [];
    const started = workers.map((tabs) => startCliProcess(['worker', '--tabs', String(tabs)], env));
    procs.push(...started);
    await Promise.all([api.first((l) => l.msg === 'engine ready'), ...started.map((w) => w.first((l) => l.msg === 'worker ready'))]);
    return { base, dataDir, redis, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * `bench --scale-out`: the same job printed by the embedded service (one process, 2 tabs), by one worker
 * of 2 tabs, and by two workers of 1 tab each, each behind an API instance on Redis, all on this machine's
 * cores. Each variant starts fresh, prints a 200-record job to warm up, then times `records` from POST to
 * done, `repeat` times (the best counts). Prints the time, the overhead over the embedded path, the Redis
 * commands per chunk and the storage bytes per record. Asserts nothing.
 */
export async function benchScaleOut(layout: Layout, records: number, repeat: number, json: boolean): Promise<number> {
  const samples = loadSamples(layout) as Record<string, unknown>[];
  const make = (n: number) =>
    JSON.stringify(Array.from({ length: n }, (_, i) => ({ ...samples[i % samples.length], number: String(i + 1).padStart(7, '0') })));
  const body = make(records);
  const warm = make(200);
  const chunks = Math.ceil(records / 100);
  const variants: Variant[] = ['embedded', 'oneWorkerTwoTabs', 'twoWorkersOneTab'];
  const best = new Map<Variant, { seconds: number; peakBytes: number; resultBytes: number }>();
  let redisPerChunk = { all: 0, scripts: 0 };
  for (let r = 0; r < repeat; r++) {
    for (const variant of variants) {
      const v = await startVariant(variant);
      try {
        await runJob(v.base, v.dataDir, layout, warm);
        const before = v.redis ? await redisCalls(v.redis.url) : undefined;
        const run = await runJob(v.base, v.dataDir, layout, body);
        if (v.redis && before) {
          const after = await redisCalls(v.redis.url);
          redisPerChunk = { all: (after.all - before.all) / chunks, scripts: (after.scripts - before.scripts) / chunks };
        }
        const was = best.get(variant);
        if (!was || run.seconds < was.seconds) best.set(variant, run);
        if (!json) process.stderr.write(`${variant.padEnd(18)} run ${r + 1}: ${run.seconds.toFixed(1)} s\n`);
      } finally {
        await v.close();
      }
    }
  }
  const embedded = best.get('embedded') as { seconds: number; peakBytes: number; resultBytes: number };
  const figure = (variant: Variant) => {
    const b = best.get(variant) as { seconds: number };
    return {
      seconds: Number(b.seconds.toFixed(2)),
      recordsPerSecond: Math.round(records / b.seconds),
      ...(variant === 'embedded' ? {} : { overhead: Number((b.seconds / embedded.seconds - 1).toFixed(3)) }),
    };
  };
  const out = {
    layout: layout.id,
    records,
    pages: records * layout.sides.length,
    embedded: figure('embedded'),
    oneWorkerTwoTabs: figure('oneWorkerTwoTabs'),
    twoWorkersOneTab: figure('twoWorkersOneTab'),
    redis: { commandsPerChunk: Number(redisPerChunk.all.toFixed(1)), scriptCallsPerChunk: Number(redisPerChunk.scripts.toFixed(1)) },
    storageBytesPerRecord: {
      peakWork: Math.round((best.get('twoWorkersOneTab')?.peakBytes ?? 0) / records),
      result: Math.round(embedded.resultBytes / records),
    },
  };
  if (json) {
    console.log(JSON.stringify(out));
    return EXIT.ok;
  }
  const line = (name: string, f: { seconds: number; recordsPerSecond: number; overhead?: number }) =>
    `${name.padEnd(26)}${f.seconds.toFixed(1).padStart(7)} s  ${String(f.recordsPerSecond).padStart(5)} records/s${
      f.overhead === undefined ? '' : `  ${f.overhead >= 0 ? '+' : ''}${(f.overhead * 100).toFixed(1)} % over embedded`
    }`;
  console.log(
    [
      `layout            ${layout.id}, ${records} records, ${out.pages} pages, best of ${repeat}, POST to done`,
      line('embedded (serve, 2 tabs)', out.embedded),
      line('1 worker × 2 tabs', out.oneWorkerTwoTabs),
      line('2 workers × 1 tab', out.twoWorkersOneTab),
      `redis             ${out.redis.commandsPerChunk} commands a chunk (${out.redis.scriptCallsPerChunk} of them scripts; status polls every 100 ms included)`,
      `storage           ${out.storageBytesPerRecord.peakWork} bytes a record at the job's peak (input, chunks), ${out.storageBytesPerRecord.result} kept (result, manifest)`,
    ].join('\n'),
  );
  return EXIT.ok;
}
