import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A redis-server of our own on a loopback port (the bench and the tests; never port 6379). */
export interface RedisProcess {
  url: string;
  port: number;
  /** Where its append-only file lives. */
  dir: string;
  /** SIGTERM: Redis writes its append-only file out and exits. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port and folder: it reads its append-only file back. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** A free loopback port, as the kernel hands one out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's redis-server on a free loopback port with an append-only file fsynced at every write
 * (so a restart loses nothing) and no eviction (BullMQ needs every key kept), from Redis's defaults, not
 * /etc/redis/redis.conf. Throws, with how to install it, when there is no redis-server.
 */
export async function startRedis(): Promise<RedisProcess> {
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error("redis-server is not installed: run `bash scripts/setup.sh --test` (it installs Debian's redis-server)");
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  const spawnRedis = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'yes'];
    args.push('--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--dir', dir, '--daemonize', 'no', '--logfile', '');
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const said: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${said.join('\n')}`)), 10_000);
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${said.join('\n')}`));
      });
      createInterface({ input: c.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        said.push(line);
        if (line.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  };
  try {
    await spawnRedis();
  } catch {
    port = await freePort(); // taken between the probe and the start: once more on another
    await spawnRedis();
  }
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start: spawnRedis,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
