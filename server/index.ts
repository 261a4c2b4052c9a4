import type { Server } from 'node:http';
import { Engine, loadLayouts } from '../engine/index.ts';
import { createApp } from './app.ts';

/** Where and how the service listens. */
export interface ServeOptions {
  port: number;
  host?: string;
  apiKeys: string[];
  log: (line: string) => void;
}

/** The API keys from SHIKAKU_API_KEYS (comma-separated). */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SHIKAKU_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}

/**
 * Starts the print service. Without API keys it listens on 127.0.0.1 only and refuses any other address.
 * The browser starts in the background: /healthz answers at once, /readyz once the engine is up.
 */
export async function startServer(opts: ServeOptions): Promise<{ server: Server; close: () => Promise<void> }> {
  const host = opts.host ?? (opts.apiKeys.length ? '0.0.0.0' : '127.0.0.1');
  if (opts.apiKeys.length === 0 && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`refusing to listen on ${host} without API keys: set SHIKAKU_API_KEYS, or listen on 127.0.0.1`);
  }
  let engine: Engine | undefined;
  const app = createApp({ engine: () => engine, layouts: loadLayouts(), apiKeys: opts.apiKeys, bodyLimit: '2mb' });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, host, () => resolve(s));
    s.once('error', reject);
  });
  opts.log(`listening on http://${host}:${opts.port}`);
  const starting = Engine.start().then(
    (e) => {
      engine = e;
      opts.log('engine ready');
      return e;
    },
    (err: Error) => {
      opts.log(`engine failed to start: ${err.message}`);
      return undefined;
    },
  );
  return {
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await (await starting)?.close();
    },
  };
}
