import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PrintError } from '../errors.ts';
import { loadLayout } from './layouts.ts';

/** What `layout new` is asked to make. */
export interface ScaffoldOptions {
  /** The layouts folder: the new layout is `<layoutsDir>/<id>/`, beside the one it comes from. */
  layoutsDir: string;
  /** The golden folder: the new layout's golden case goes to `<goldenDir>/<id>/<case>/`. */
  goldenDir: string;
  id: string;
  /** The layout it is made from. */
  from: string;
  /**
   * Make a variant that `extend`s `from` (a layout.json of a few lines and an empty style sheet of its
   * own) instead of a copy of it.
   */
  extend?: boolean;
}

/** What was made. */
export interface Scaffolded {
  id: string;
  dir: string;
  files: string[];
  /** The golden case copied with it, when `from` has one. */
  golden?: string;
}

/**
 * A new layout made from a working one: a copy of its folder (or, with `extend`, a variant that extends
 * it), with its samples and its first golden case, so the new layout renders and passes its golden check
 * from the first minute. Paths to shared files (`../_shared/…`) stay as they are: the new folder sits
 * beside the old one.
 */
export function scaffoldLayout(options: ScaffoldOptions): Scaffolded {
  const { id, from } = options;
  const root = resolve(options.layoutsDir);
  if (!/^[a-z][a-z0-9-]*$/.test(id)) {
    throw new PrintError('SETUP', `layout id "${id}" must be lower-case letters, digits and hyphens, starting with a letter`);
  }
  const fromDir = join(root, from);
  if (!/^[a-z][a-z0-9-]*$/.test(from) || !existsSync(join(fromDir, 'layout.json'))) {
    throw new PrintError('SETUP', `there is no layout "${from}" in ${root} to make ${id} from`);
  }
  const dir = join(root, id);
  if (existsSync(dir)) throw new PrintError('SETUP', `${dir} already exists: choose another id`);
  const base = loadLayout(fromDir);
  const own = JSON.parse(readFileSync(join(fromDir, 'layout.json'), 'utf8')) as Record<string, unknown>;
  const name = `${base.name}（${id}）`;
  mkdirSync(dir);
  const samples = resolve(fromDir, base.samples);
  if (options.extend) {
    writeFileSync(join(dir, 'style.css'), `/* ${id}: what differs from ${from} (this sheet comes after ${from}'s, so it wins). */\n`);
    writeFileSync(join(dir, 'layout.json'), `${JSON.stringify({ id, name, extend: from, styles: ['style.css'], samples: 'samples.json' }, null, 2)}\n`);
  } else {
    for (const entry of readdirSync(fromDir)) cpSync(join(fromDir, entry), join(dir, entry), { recursive: true });
    writeFileSync(join(dir, 'layout.json'), `${JSON.stringify({ ...own, id, name, samples: 'samples.json' }, null, 2)}\n`);
  }
  if (!existsSync(join(dir, 'samples.json'))) cpSync(samples, join(dir, 'samples.json'));
  const golden = copyGoldenCase(options.goldenDir, from, id);
  return { id, dir, files: readdirSync(dir).map((f) => relative(root, join(dir, f))), ...(golden ? { golden } : {}) };
}

/** Copies the first single-record golden case of `from` to `to`: the new layout prints the same pages. */
function copyGoldenCase(goldenDir: string, from: string, to: string): string | undefined {
  const source = join(goldenDir, from);
  if (!existsSync(source)) return undefined;
  const first = readdirSync(source, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(source, d.name, 'record.json')))
    .map((d) => d.name)
    .sort()[0];
  if (!first) return undefined;
  const target = join(goldenDir, to, first);
  mkdirSync(join(goldenDir, to), { recursive: true });
  cpSync(join(source, first), target, { recursive: true });
  return target;
}
