import { resolve } from 'node:path';
import { apiKeysFromEnv, startServer } from '../server/index.ts';
import { intOption } from './options.ts';

/** `serve`: the print service on PORT (default 8080) until SIGINT or SIGTERM, then a graceful stop. */
export async function serveCommand(values: Record<string, unknown>): Promise<number> {
  const port = intOption(values, 'port', 0, 65535) ?? Number(process.env.PORT ?? 8080);
  const host = typeof values.host === 'string' ? values.host : undefined;
  const service = await startServer({
    port,
    ...(host ? { host } : {}),
    apiKeys: apiKeysFromEnv(),
    dataDir: resolve(process.env.SHIKAKU_DATA_DIR ?? 'data'),
  });
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await service.close();
  return 0;
}
