// One data folder, one mode: a folder a cluster on Redis shares is never run by an embedded service (it
// would resume and delete what the cluster's workers write), and a worker needs its cluster's Redis.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../cli/redis-server.ts';
import { startServer } from '../server/index.ts';
import { lockDataFolder, markClusterFolder } from '../server/jobs/data-lock.ts';
import { cliWith } from './helpers/cli.ts';

describe('modes of a data folder', () => {
  it('an embedded serve refuses a folder a cluster has marked, naming the mark and what to do', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-modes-'));
    try {
      markClusterFolder(dataDir);
      const run = await cliWith({ SHIKAKU_DATA_DIR: dataDir, SHIKAKU_REDIS_URL: '' }, 'serve', '--port', '0');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('is shared by a cluster on Redis (cluster.json)');
      expect(run.stderr).toContain('SHIKAKU_REDIS_URL');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a cluster refuses a folder an embedded service holds, and takes it once that service is gone', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-modes-'));
    try {
      const release = lockDataFolder(dataDir); // held by this live process, as by a running serve
      expect(() => markClusterFolder(dataDir)).toThrow(/in use by a shikaku-print service without Redis \(process \d+/);
      expect(existsSync(join(dataDir, 'cluster.json'))).toBe(false);
      release();
      markClusterFolder(dataDir);
      expect(existsSync(join(dataDir, 'cluster.json'))).toBe(true);
      markClusterFolder(dataDir); // the next instance of the cluster
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('worker without SHIKAKU_REDIS_URL exits 2 naming the variable; a URL that is not redis:// is refused', async () => {
    const none = await cliWith({ SHIKAKU_REDIS_URL: '' }, 'worker', '--tabs', '1');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('worker needs SHIKAKU_REDIS_URL');
    const wrong = await cliWith({ SHIKAKU_REDIS_URL: 'http://127.0.0.1:6379' }, 'worker');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('SHIKAKU_REDIS_URL must be a redis:// or rediss:// URL');
  });

  it('a cluster API instance whose port is taken says so, and leaves no connection to Redis behind', async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-modes-'));
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const admin = new Redis(redis.url);
    try {
      const clients = async () =>
        String(await admin.call('CLIENT', 'LIST'))
          .trim()
          .split('\n').length;
      const before = await clients();
      const port = (taken.address() as { port: number }).port;
      await expect(
        startServer({
          port,
          host: '127.0.0.1',
          apiKeys: ['k'],
          dataDir,
          redisUrl: redis.url,
          apiOnly: true,
          log: pino({ level: 'silent' }),
        }),
      ).rejects.toThrow(`port ${port} on 127.0.0.1 is in use by another program (EADDRINUSE)`);
      // The job queue's and the webhook queue's connections are closed with the start that failed.
      let after = await clients();
      for (let i = 0; i < 50 && after > before; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await clients();
      }
      expect(after).toBe(before);
    } finally {
      admin.disconnect();
      taken.close();
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
