import { apiKeysFromEnv, startServer } from '../server/index.ts';
import { intOption } from './options.ts';

/** `serve`: the print service on PORT (default 8080) until SIGINT or SIGTERM. */
export async function serveCommand(values: Record<string, unknown>): Promise<number> {
  const port = intOption(values, 'port', 0, 65535) ?? Number(process.env.PORT ?? 8080);
  const host = typeof values.host === 'string' ? values.host : undefined;
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const { close } = await startServer({ port, ...(host ? { host } : {}), apiKeys: apiKeysFromEnv(), log });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('shutting down');
  await close();
  return 0;
}
