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

/**
 * engine/ in the order a record travels, each layer importing only the layers before it and its own. The
 * stages are records → validate → format → template → browser → pdf → output; around them:
 * - at the bottom, what every stage may use: the one error type, the step clock, bounded concurrency, and
 *   the owner marks of the processes and temp folders the engine leaves (orphans.ts);
 * - fonts, just above: the pinned faces and what they can draw, by which validate, format and the
 *   browser measure text;
 * - layouts and insurers, after records: data the engine loads (a layout names record fields, an insurer
 *   profile completes records and brings its seal), read by the stages from validate on;
 * - png after pdf: a PNG is rasterized from the printed PDF, before output writes it;
 * - at the top, engine/'s own files (render.ts and the rest of its root, index.ts its face): the engine
 *   that runs the stages. A new folder must be placed here, or the test names it.
 * Type imports count: a stage that names a later stage's types must change when that stage does, and the
 * order is about what each stage may know.
 */
const ENGINE_LAYERS: string[][] = [
  ['errors.ts', 'step-times.ts', 'concurrency.ts', 'orphans.ts'],
  ['fonts'],
  ['records'],
  ['layouts', 'insurers'],
  ['validate'],
  // The mailing core: postal data, 住所表示番号 and the カスタマバーコード, from a record's fields alone.
  ['mail'],
  ['format'],
  ['template'],
  ['browser'],
  ['pdf'],
  ['png'],
  ['output'],
];

/** The layer of a file of engine/ (ENGINE_LAYERS; its root's other files on top), or undefined for a folder not placed. */
function layerOf(file: string): number | undefined {
  const [, part = ''] = file.split('/');
  const layer = ENGINE_LAYERS.findIndex((l) => l.includes(part));
  if (layer >= 0) return layer;
  return part.endsWith('.ts') ? ENGINE_LAYERS.length : undefined;
}

/** The folders whose code may not import in a cycle: every folder of allowed, and config/. */
const CODE = [...new Set([...Object.keys(allowed), 'config'])];

/**
 * Every import cycle among `files`, each as the files that lead from the cycle's first file (by name) back
 * to it. A depth-first walk over the static imports: an import of a file still on the walk's path closes a
 * cycle. Type imports count: a cycle of types cannot break loading, but it still ties two modules to change
 * together (render.ts and output/ were such a cycle). import() is left out: it loads a module when called,
 * after both have loaded, which is how a command or Redis mode is reached on purpose.
 */
function importCycles(files: string[]): string[] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, [...new Set(imports(f))].filter((i) => known.has(i))]));
  const found = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const ring = path.slice(at);
        const first = ring.indexOf([...ring].sort()[0]!);
        const cycle = [...ring.slice(first), ...ring.slice(0, first)];
        found.add([...cycle, cycle[0]].join(' → '));
      } else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(file);
  };
  for (const f of files) if (!done.has(f)) visit(f);
  return [...found].sort();
}

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

  it('loads BullMQ and Redis only in Redis mode: imported under server/jobs/redis/ (and by the scale-out and enqueue benches), reached by import()', () => {
    const all = Object.keys(allowed).flatMap(sources);
    const redisModules = new Set(['server/jobs/redis', 'cli/bench-scale-out.ts', 'cli/bench-enqueue.ts']);
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

  it('engine/: each stage imports only what comes before it (records → validate → format → template → browser → pdf → output)', () => {
    const files = sources('engine');
    const unplaced = [...new Set(files.filter((f) => layerOf(f) === undefined).map((f) => f.split('/').slice(0, 2).join('/')))];
    const wrong = files.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('engine/') && (layerOf(i) ?? -1) > (layerOf(f) ?? Infinity))
        .map((i) => `${f} → ${i}`),
    );
    expect(unplaced.map((folder) => `${folder}/ has no place in ENGINE_LAYERS`)).toEqual([]);
    expect(wrong).toEqual([]);
  });

  it('has no import cycle in engine/, server/, cli/, qa/, studio/ or config/', () => {
    expect(importCycles(CODE.flatMap(sources))).toEqual([]);
  });
});
