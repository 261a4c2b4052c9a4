import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  PrintError,
  arrayElementPosition,
  layoutImageProblems,
  templateRunProblem,
  type Engine,
  type FieldFit,
  type Layout,
  type LayoutProblem,
} from '../engine/index.ts';
import type { Workspace } from './workspace.ts';

/** What a request asks to see: one page of one record of one layout, at a resolution. */
export interface View {
  layout: string;
  record: unknown;
  page: number;
  dpi: number;
}

/** One page as the engine printed it, with what fitting did on it and how long it took. */
export interface Proof {
  png: Buffer;
  pageCount: number;
  fitting: FieldFit[];
  ms: number;
  /** Made before this request asked (a re-render on save, or the same view asked again). */
  cached?: boolean;
}

/** Problems that stop a layout from printing at all: its files must be mended first (paths as people read them). */
export class LayoutBroken extends Error {
  readonly problems: LayoutProblem[];
  constructor(workspace: Workspace, problems: LayoutProblem[]) {
    const shown = problems.map((p) => shortProblem(workspace, p));
    super(shown.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`).join('\n'));
    this.problems = shown;
  }
}

/**
 * The pages the studio shows, printed by the engine (never an HTML rendering of its own) and kept for a
 * moment: what the designer last looked at in each layout is printed again after a save (`reprint`), so
 * the page's own request that follows the change event finds it ready.
 */
export class Proofs {
  private readonly cache = new ProofCache();
  private readonly lastViewed = new Map<string, View & { draft: boolean }>();

  constructor(
    private readonly workspace: Workspace,
    private readonly engine: Engine,
  ) {}

  /** The page of `view`, noted as the one last looked at in its layout. */
  async show(view: View, draft: boolean): Promise<Proof> {
    this.lastViewed.set(view.layout, { ...view, draft });
    return this.proof(view, draft);
  }

  /** Prints again what was last looked at in each of `layoutIds`; answers how long the last one took (ms). */
  async reprint(layoutIds: readonly string[]): Promise<number | undefined> {
    let ms: number | undefined;
    for (const id of layoutIds) {
      const last = this.lastViewed.get(id);
      if (!last) continue;
      // the view alone, as the page's next request names it: with `draft` inside, its cache key would differ
      const { draft, ...view } = last;
      const t0 = performance.now();
      await this.proof(view, draft).catch(() => undefined);
      ms = Math.round(performance.now() - t0);
    }
    return ms;
  }

  /** The page of `view`: from the cache when nothing changed since it was made. */
  private async proof(view: View, draft: boolean): Promise<Proof> {
    const layout = layoutById(this.workspace, view.layout);
    const problems = [...this.workspace.fileProblems(layout.id), ...(await layoutImageProblems(layout))];
    if (problems.length) throw new LayoutBroken(this.workspace, problems);
    const key = proofKey(this.workspace.generation, view, draft);
    const cached = this.cache.get(key);
    if (cached) return { ...cached, cached: true };
    const t0 = performance.now();
    try {
      const page = await this.engine.renderPage(layout, [view.record], {
        page: view.page,
        dpi: view.dpi,
        fitting: true,
        draft,
        lane: 'counter',
      });
      const made = { png: page.png, pageCount: page.pageCount, fitting: page.fitting ?? [], ms: Math.round(performance.now() - t0) };
      this.cache.set(key, made);
      return made;
    } catch (err) {
      const where = err instanceof PrintError ? undefined : templateRunProblem(layout, err);
      if (where) throw new LayoutBroken(this.workspace, [where]);
      throw err;
    }
  }
}

/**
 * Every problem of a layout: its files (layout.json, templates, CSS), then its samples printed as a run
 * would print them: a sample that is invalid, has a character no pinned font draws, or does not fit its
 * boxes is named at its place in the samples file. Empty when the layout compiles and its samples print.
 */
export async function layoutProblems(workspace: Workspace, engine: Engine, id: string): Promise<LayoutProblem[]> {
  const layout = workspace.layouts.get(id);
  const files = [...workspace.fileProblems(id), ...(layout ? await layoutImageProblems(layout) : [])];
  if (files.length || !layout) {
    if (!layout && !workspace.broken.some((b) => b.id === id)) throw new PrintError('UNKNOWN_LAYOUT', `unknown layout "${id}"`);
    return files;
  }
  const samplesFile = workspace.samplesFile(layout);
  let samples: unknown[];
  try {
    samples = workspace.samples(layout);
  } catch (err) {
    return [{ file: samplesFile, line: 1, column: 1, message: `samples: ${(err as Error).message}` }];
  }
  try {
    await engine.renderPdf(layout, samples, { lane: 'counter' });
    return [];
  } catch (err) {
    if (err instanceof PrintError && err.code === 'INVALID_INPUT') {
      const text = readFileSync(samplesFile, 'utf8');
      return err.problems.map((p) => ({
        file: samplesFile,
        ...(arrayElementPosition(text, p.record - 1) ?? { line: 1, column: 1 }),
        message: `sample ${p.record - 1}: ${p.path} (${p.label}): ${p.message}`,
      }));
    }
    const where = err instanceof PrintError ? undefined : templateRunProblem(layout, err);
    if (where) return [where];
    throw err;
  }
}

/** A layout of the workspace; one that does not load throws its problems, an unknown id UNKNOWN_LAYOUT. */
export function layoutById(workspace: Workspace, id: string): Layout {
  const layout = workspace.layouts.get(id);
  if (layout) return layout;
  const problems = workspace.fileProblems(id);
  if (problems.length) throw new LayoutBroken(workspace, problems);
  throw new PrintError('UNKNOWN_LAYOUT', `unknown layout "${id}"; layouts: ${[...workspace.layouts.keys()].join(', ')}`);
}

/** A problem with its file as people read it: relative to the layouts folder. */
export function shortProblem(workspace: Workspace, p: LayoutProblem): LayoutProblem {
  return { ...p, file: workspace.shortPath(p.file) };
}

function proofKey(generation: number, view: View, draft: boolean): string {
  return createHash('sha256')
    .update(JSON.stringify([generation, view, draft]))
    .digest('hex');
}

/** The last few proofs, for the page's request that follows a re-render. */
class ProofCache {
  private readonly entries = new Map<string, Proof>();
  get(key: string): Proof | undefined {
    return this.entries.get(key);
  }
  set(key: string, proof: Proof): void {
    this.entries.set(key, proof);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= 16) break;
      this.entries.delete(oldest);
    }
  }
}
