import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { loadLayoutsLeniently, loadSamples, sourceProblems, type Layout, type LayoutProblem } from '../engine/index.ts';

/** A golden case of a layout: its records and how many approved pages it has. */
export interface GoldenCase {
  id: string;
  records: unknown[];
  pages: number;
}

/** What changed on disk, said once the burst of writes of one save has settled. */
export interface FilesChanged {
  /** The changed files, relative to the layouts folder. */
  files: string[];
  /** The layouts made of one of them (a shared partial changes several). */
  layouts: string[];
}

/** How long a burst of writes (an editor's save) is let settle before the studio reloads. */
const SETTLE_MS = 60;

/**
 * The layouts folder a designer works in: the layouts as they are on disk now (a broken one is kept aside
 * with its error, the others go on working), their samples and golden cases. With `watch()`, emits
 * `change` (FilesChanged) after every save, once the layouts are reloaded.
 */
export class Workspace extends EventEmitter<{ change: [FilesChanged] }> {
  layouts = new Map<string, Layout>();
  broken: { id: string; dir: string; error: Error }[] = [];
  /** Goes up with every reload: what was rendered before is stale. */
  generation = 0;
  private watcher: FSWatcher | undefined;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly root: string,
    readonly goldenRoot: string,
  ) {
    super();
    this.root = resolve(root);
    this.reload();
  }

  /** Reads every layout again. */
  reload(): void {
    const { layouts, broken } = loadLayoutsLeniently(this.root);
    this.layouts = layouts;
    this.broken = broken.map((b) => ({ id: basename(b.dir), dir: b.dir, error: b.error }));
    this.generation++;
  }

  /** Starts following the folder: resolves once the watcher is ready, so no save after it is missed. */
  async watch(): Promise<void> {
    const watcher = watch(this.root, { ignoreInitial: true, awaitWriteFinish: false });
    this.watcher = watcher;
    const note = (path: string) => {
      this.pending.add(resolve(path));
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.settle(), SETTLE_MS);
    };
    watcher.on('add', note).on('change', note).on('unlink', note).on('addDir', note).on('unlinkDir', note);
    await new Promise<void>((ready) => watcher.once('ready', ready));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.watcher?.close();
  }

  /** The sample records of a layout. */
  samples(layout: Layout): unknown[] {
    return loadSamples(layout);
  }

  /** The samples file of a layout (absolute). */
  samplesFile(layout: Layout): string {
    return resolve(layout.dir, layout.samples);
  }

  /** The golden cases of a layout that hold single records (the ones a preview can stand beside). */
  goldenCases(layoutId: string): GoldenCase[] {
    const dir = join(this.goldenRoot, layoutId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'record.json')))
      .map((d) => d.name)
      .sort()
      .map((id) => ({
        id,
        records: [JSON.parse(readFileSync(join(dir, id, 'record.json'), 'utf8')) as unknown],
        pages: readdirSync(join(dir, id)).filter((f) => /^page-\d+\.png$/.test(f)).length,
      }));
  }

  /** The approved image of a golden case's page, or undefined. */
  goldenPage(layoutId: string, caseId: string, page: number): string | undefined {
    if (!/^[\w-]+$/.test(layoutId) || !/^[\w-]+$/.test(caseId)) return undefined;
    const file = join(this.goldenRoot, layoutId, caseId, `page-${page}.png`);
    return existsSync(file) ? file : undefined;
  }

  /**
   * What is wrong in a layout's files that can be found without printing: a layout.json that does not load,
   * a template or style sheet that does not parse. Printing finds the rest (studio.ts).
   */
  fileProblems(id: string): LayoutProblem[] {
    const broken = this.broken.find((b) => b.id === id);
    if (broken) return [{ file: join(broken.dir, 'layout.json'), ...jsonPosition(broken), message: broken.error.message }];
    const layout = this.layouts.get(id);
    return layout ? sourceProblems(layout) : [];
  }

  /** A path for people: relative to the layouts folder. */
  shortPath(file: string): string {
    return relative(this.root, file) || file;
  }

  private settle(): void {
    const files = [...this.pending];
    this.pending.clear();
    const before = new Map([...this.layouts].map(([id, l]) => [id, new Set(l.files)]));
    this.reload();
    const touched = new Set<string>();
    for (const [id, layout] of this.layouts) {
      const made = new Set([...layout.files, ...(before.get(id) ?? [])]);
      if (files.some((f) => made.has(f) || f.startsWith(`${layout.dir}/`) || f === layout.dir)) touched.add(id);
    }
    for (const b of this.broken) if (files.some((f) => f.startsWith(`${b.dir}/`) || f === b.dir)) touched.add(b.id);
    this.emit('change', { files: files.map((f) => this.shortPath(f)), layouts: [...touched].sort() });
  }
}

/** Where a layout.json that did not load went wrong, when its error says (JSON.parse names a position). */
function jsonPosition(broken: { dir: string; error: Error }): { line: number; column: number } {
  const at = /position (\d+)/.exec(broken.error.message);
  if (!at) return { line: 1, column: 1 };
  try {
    const text = readFileSync(join(broken.dir, 'layout.json'), 'utf8').slice(0, Number(at[1]));
    const lines = text.split('\n');
    return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
  } catch {
    return { line: 1, column: 1 };
  }
}
