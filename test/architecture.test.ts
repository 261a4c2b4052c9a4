// The folders are the architecture: dependencies point one way, and other modules reach the engine only
// through its face, engine/index.ts.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file, as a path from the repository root. */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => relative(root, resolve(root, dirname(file), m[1]!)));
}

const allowed: Record<string, string[]> = {
  engine: ['engine'],
  config: ['config', 'engine'],
  qa: ['qa', 'engine'],
  server: ['server', 'engine', 'config'],
  studio: ['studio', 'engine', 'server/problem.ts'], // the studio answers errors by the service's one table
  cli: ['cli', 'engine', 'config', 'server', 'qa', 'studio'],
};

/**
 * A setting read from the environment: `process.env.X`, `process.env?.X`, `process.env['X']`, `'X' in
 * process.env`, or the environment handed on whole (`= process.env`, `(process.env`, `?? process.env`);
 * only spreading it into a child's environment (`...process.env`) is not a read.
 */
const READS_ENV = /process\.env(\??\.\w|\?\.\[|\[)|(=|\(|\?\?|\bin)\s*process\.env\b/;

describe('architecture', () => {
  it.each(Object.keys(allowed))('%s/ imports only what it may', (folder) => {
    const wrong = sources(folder).flatMap((f) =>
      imports(f)
        .filter((i) => !allowed[folder]!.some((a) => a === i || a === i.split('/')[0]))
        .map((i) => `${f} → ${i}`),
    );
    expect(wrong).toEqual([]);
  });

  it('reads settings from the environment only in config/env.ts (children may inherit it whole)', () => {
    const wrong = Object.keys(allowed)
      .flatMap(sources)
      .filter((f) => f !== 'config/env.ts' && READS_ENV.test(readFileSync(join(root, f), 'utf8')));
    expect(wrong).toEqual([]);
  });

  it('loads BullMQ and Redis only in Redis mode: imported under server/jobs/redis/ (and by the scale-out bench), reached by import()', () => {
    const all = Object.keys(allowed).flatMap(sources);
    const redisModules = new Set(['server/jobs/redis', 'cli/bench-scale-out.ts']);
    const inRedis = (f: string) => [...redisModules].some((m) => f === m || f.startsWith(`${m}/`));
    const wrong = [
      ...all
        .filter((f) => !inRedis(f) && /from '(bullmq|ioredis)'/.test(readFileSync(join(root, f), 'utf8')))
        .map((f) => `${f} imports bullmq/ioredis`),
      ...all.flatMap((f) =>
        inRedis(f)
          ? []
          : imports(f)
              .filter((i) => inRedis(i) || inRedis(`${i}.ts`))
              .map((i) => `${f} → ${i} (statically)`),
      ),
    ];
    expect(wrong).toEqual([]);
  });

  it.each(['qa', 'server', 'studio', 'cli'])('%s/ reaches the engine only through engine/index.ts', (folder) => {
    const wrong = sources(folder).flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('engine/') && i !== 'engine/index.ts')
        .map((i) => `${f} → ${i}`),
    );
    expect(wrong).toEqual([]);
  });
});
