import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import {
  Engine,
  FIELDS,
  PrintError,
  arrayElementPosition,
  layoutImageProblems,
  scaffoldLayout,
  summarizeLayout,
  templateRunProblem,
  type FieldFit,
  type Layout,
  type LayoutProblem,
} from '../engine/index.ts';
import { Workspace, type FilesChanged } from './workspace.ts';

const PUBLIC_DIR = resolve(fileURLToPath(import.meta.url), '../public');

/** How the studio is started. */
export interface StudioOptions {
  port: number;
  /** The layouts folder the designer edits. */
  layoutsDir: string;
  /** Where the golden cases are (golden/<layout>/<case>/). */
  goldenDir: string;
  /** An engine to render with (tests share one); the studio starts its own when left out. */
  engine?: Engine | undefined;
}

/** A running studio. */
export interface Studio {
  url: string;
  workspace: Workspace;
  close(): Promise<void>;
}

/** What a request asks to see: one page of one record of one layout, at a resolution. */
interface View {
  layout: string;
  record: unknown;
  page: number;
  dpi: number;
}

/** One page as the engine printed it, with what fitting did on it and how long it took. */
interface Proof {
  png: Buffer;
  pageCount: number;
  fitting: FieldFit[];
  ms: number;
  /** Made before this request asked (a re-render on save, or the same view asked again). */
  cached?: boolean;
}

/** Problems that stop a layout from printing at all: its files must be mended first (paths as people read them). */
class LayoutBroken extends Error {
  readonly problems: LayoutProblem[];
  constructor(workspace: Workspace, problems: LayoutProblem[]) {
    const shown = problems.map((p) => shortProblem(workspace, p));
    super(shown.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`).join('\n'));
    this.problems = shown;
  }
}

const DEFAULT_DPI = 150;

/**
 * The designer's studio: a local web app over a layouts folder. Every picture it shows is a page of the
 * engine's own PDF rasterized as `render --format png` does (never an HTML rendering of its own), so what
 * the designer sees is what prints. It follows the folder: a save re-renders what was last looked at and
 * tells the page through server-sent events.
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const workspace = new Workspace(options.layoutsDir, options.goldenDir);
  const ownEngine = options.engine === undefined;
  const engine = options.engine ?? (await Engine.start({ tabs: 1, counterTabs: 0 }));
  const proofs = new ProofCache();
  const lastViewed = new Map<string, View & { draft: boolean }>();
  const listeners = new Set<Response>();

  /** The page of `view`: from the cache when nothing changed since it was made. */
  const proof = async (view: View, draft: boolean): Promise<Proof> => {
    const layout = layoutById(workspace, view.layout);
    const problems = [...workspace.fileProblems(layout.id), ...(await layoutImageProblems(layout))];
    if (problems.length) throw new LayoutBroken(workspace, problems);
    const key = proofKey(workspace.generation, view, draft);
    const cached = proofs.get(key);
    if (cached) return { ...cached, cached: true };
    const t0 = performance.now();
    try {
      const page = await engine.renderPage(layout, [view.record], {
        page: view.page,
        dpi: view.dpi,
        fitting: true,
        draft,
        lane: 'counter',
      });
      const made = { png: page.png, pageCount: page.pageCount, fitting: page.fitting ?? [], ms: Math.round(performance.now() - t0) };
      proofs.set(key, made);
      return made;
    } catch (err) {
      const where = err instanceof PrintError ? undefined : templateRunProblem(layout, err);
      if (where) throw new LayoutBroken(workspace, [where]);
      throw err;
    }
  };

  workspace.on('change', (changed: FilesChanged) => {
    void (async () => {
      // What the designer last looked at in each layout the save touched is printed again at once, so
      // the page's own request after the event finds it ready.
      let ms: number | undefined;
      for (const id of changed.layouts) {
        const view = lastViewed.get(id);
        if (!view) continue;
        const t0 = performance.now();
        await proof(view, view.draft).catch(() => undefined);
        ms = Math.round(performance.now() - t0);
      }
      send(listeners, 'change', { ...changed, generation: workspace.generation, ...(ms === undefined ? {} : { ms }) });
    })();
  });
  await workspace.watch();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));
  app.get('/favicon.ico', (_req, res) => res.status(204).end());

  app.get('/api/layouts', (_req, res) => {
    const layouts = [...workspace.layouts.values()].map((l) => describeLayout(workspace, l));
    const broken = workspace.broken.map((b) => ({
      id: b.id,
      problems: workspace.fileProblems(b.id).map((p) => shortProblem(workspace, p)),
    }));
    res.json({ layouts, broken, fields: FIELDS });
  });

  app.get('/api/preview', async (req, res) => {
    await answer(res, async () => {
      const view = viewOf(req, recordOf(workspace, req));
      lastViewed.set(view.layout, { ...view, draft: false });
      sendPng(res, await proof(view, false));
    });
  });

  app.post('/api/preview', express.json({ limit: '1mb' }), async (req, res) => {
    await answer(res, async () => {
      const view = viewOf(req, req.body as unknown);
      lastViewed.set(view.layout, { ...view, draft: false });
      sendPng(res, await proof(view, false));
    });
  });

  // The studio page's own call: a draft (a box that does not fit is printed cut off and shown in red
  // rather than refused), with the fitting of every box and the render time.
  app.post('/api/proof', express.json({ limit: '1mb' }), async (req, res) => {
    await answer(res, async () => {
      const view = viewOf(req, req.body as unknown);
      lastViewed.set(view.layout, { ...view, draft: true });
      const made = await proof(view, true);
      res.json({
        png: `data:image/png;base64,${made.png.toString('base64')}`,
        pageCount: made.pageCount,
        fitting: made.fitting,
        ms: made.ms,
        cached: made.cached === true,
        generation: workspace.generation,
      });
    });
  });

  app.post('/api/pdf', express.json({ limit: '1mb' }), async (req, res) => {
    await answer(res, async () => {
      const layout = layoutOf(workspace, req);
      const result = await engine.renderPdf(layout, [req.body as unknown], { lane: 'counter' });
      res.type('application/pdf').set('Content-Disposition', `attachment; filename="${layout.id}-proof.pdf"`).send(Buffer.from(result.pdf));
    });
  });

  app.get('/api/problems', async (req, res) => {
    await answer(res, async () => {
      const id = query(req, 'layout');
      const problems = await layoutProblems(workspace, engine, id);
      res.json({ problems: problems.map((p) => shortProblem(workspace, p)) });
    });
  });

  app.get('/api/golden', (req, res) => {
    const file = workspace.goldenPage(query(req, 'layout'), query(req, 'case'), Number(query(req, 'page') || 1));
    if (!file) {
      sendProblem(res, 404, 'no such golden page');
      return;
    }
    res.type('image/png').send(readFileSync(file));
  });

  // The insurer profile a preview's record takes its insurer's name, contact and seal from: shown and
  // edited here, checked as the engine checks it at start; a profile that does not load is not kept.
  app.get('/api/insurers/:number', (req, res) => {
    const file = profileFile(engine, req.params.number);
    if (!file || !existsSync(file)) {
      sendProblem(res, 404, `no insurer profile ${req.params.number}.json in ${engine.insurers.dir || '(no profiles folder)'}`);
      return;
    }
    res.json({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as unknown });
  });

  app.put('/api/insurers/:number', express.json({ limit: '256kb' }), async (req, res) => {
    const file = profileFile(engine, req.params.number);
    if (!file) {
      sendProblem(res, 400, 'a 保険者番号 is 6 or 8 digits');
      return;
    }
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    writeFileSync(file, `${JSON.stringify(req.body, null, 2)}\n`);
    try {
      await engine.reloadInsurers();
    } catch (err) {
      if (before === undefined) rmSync(file);
      else writeFileSync(file, before);
      sendProblem(res, 400, (err as Error).message);
      return;
    }
    workspace.generation++; // what was printed with the old profile is stale
    res.json({ file, profile: req.body as unknown });
  });

  app.post('/api/layouts', express.json(), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; from?: unknown; extend?: unknown };
    try {
      const made = scaffoldLayout({
        layoutsDir: workspace.root,
        goldenDir: workspace.goldenRoot,
        id: typeof body.id === 'string' ? body.id : '',
        from: typeof body.from === 'string' ? body.from : '',
        extend: body.extend === true,
      });
      workspace.reload();
      res.status(201).json(made);
    } catch (err) {
      sendProblem(res, 400, (err as Error).message);
    }
  });

  app.get('/api/events', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(`event: hello\ndata: ${JSON.stringify({ generation: workspace.generation })}\n\n`);
    listeners.add(res);
    req.on('close', () => listeners.delete(res));
  });

  const server = app.listen(options.port, '127.0.0.1');
  await new Promise<void>((ready, fail) => server.once('listening', ready).once('error', fail));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    workspace,
    close: async () => {
      for (const l of listeners) l.end();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await workspace.close();
      if (ownEngine) await engine.close();
    },
  };
}

/**
 * Every problem of a layout: its files (layout.json, templates, CSS), then its samples printed as a run
 * would print them: a sample that is invalid, has a character no pinned font draws, or does not fit its
 * boxes is named at its place in the samples file. Empty when the layout compiles and its samples print.
 */
async function layoutProblems(workspace: Workspace, engine: Engine, id: string): Promise<LayoutProblem[]> {
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

/** What the studio page needs to know of a layout. */
function describeLayout(workspace: Workspace, l: Layout) {
  let samples: unknown[] = [];
  try {
    samples = workspace.samples(l);
  } catch {
    // a samples file that does not read is one of the layout's problems (GET /api/problems)
  }
  return {
    ...summarizeLayout(l),
    bleedMm: l.bleedMm,
    safeMm: l.safeMm,
    proofDpi: l.proofDpi,
    sideNames: l.sides.map((s) => s.name),
    extends: l.extendsChain,
    requiredWith: l.requiredWith,
    samples,
    goldens: workspace.goldenCases(l.id),
    files: l.files.map((f) => workspace.shortPath(f)),
  };
}

function viewOf(req: Request, record: unknown): View {
  const layout = query(req, 'layout');
  const page = Number(query(req, 'page') || 1);
  const dpi = Number(query(req, 'dpi') || DEFAULT_DPI);
  if (!Number.isInteger(page) || page < 1) throw badRequest('page must be a whole number from 1');
  if (!Number.isInteger(dpi) || dpi < 36 || dpi > 1200) throw badRequest('dpi must be a whole number from 36 to 1200');
  return { layout, record, page, dpi };
}

/** The record a GET names: `sample=N` (0-based) of the layout's samples, or `golden=CASE`. */
function recordOf(workspace: Workspace, req: Request): unknown {
  const layout = layoutOf(workspace, req);
  if (req.query.golden !== undefined) {
    const found = workspace.goldenCases(layout.id).find((c) => c.id === query(req, 'golden'));
    if (!found) throw badRequest(`layout ${layout.id} has no golden case "${query(req, 'golden')}"`);
    return found.records[0];
  }
  const n = Number(query(req, 'sample') || 0);
  const samples = workspace.samples(layout);
  if (!Number.isInteger(n) || n < 0 || n >= samples.length) {
    throw badRequest(`sample must be a whole number from 0 to ${samples.length - 1}`);
  }
  return samples[n];
}

function layoutOf(workspace: Workspace, req: Request): Layout {
  return layoutById(workspace, query(req, 'layout'));
}

/** A layout of the workspace; one that does not load throws its problems, an unknown id UNKNOWN_LAYOUT. */
function layoutById(workspace: Workspace, id: string): Layout {
  const layout = workspace.layouts.get(id);
  if (layout) return layout;
  const problems = workspace.fileProblems(id);
  if (problems.length) throw new LayoutBroken(workspace, problems);
  throw new PrintError('UNKNOWN_LAYOUT', `unknown layout "${id}"; layouts: ${[...workspace.layouts.keys()].join(', ')}`);
}

/** A request the studio cannot answer as asked (BAD_REQUEST: 400). */
const badRequest = (message: string) => new PrintError('BAD_REQUEST', message);

/** The profile file of a 保険者番号 in the engine's insurers folder; undefined for a malformed number. */
function profileFile(engine: Engine, number: string): string | undefined {
  if (!/^(\d{6}|\d{8})$/.test(number) || !engine.insurers.dir) return undefined;
  return join(engine.insurers.dir, `${number}.json`);
}

/** A query parameter as given once; '' when absent (or given as a list). */
function query(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : '';
}

/** Runs a route; its errors become problem+json answers naming what is wrong. */
async function answer(res: Response, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof LayoutBroken) {
      sendProblem(res, 422, 'the layout does not compile', { problems: err.problems });
    } else if (err instanceof PrintError && err.code === 'BAD_REQUEST') {
      sendProblem(res, 400, err.message);
    } else if (err instanceof PrintError && err.code === 'INVALID_INPUT') {
      const errors = err.problems.map((p) => ({ path: p.path, label: p.label, message: p.message }));
      sendProblem(res, 400, 'the record is invalid', { detail: err.message, errors });
    } else if (err instanceof PrintError && err.code === 'UNKNOWN_LAYOUT') {
      sendProblem(res, 404, err.message);
    } else {
      sendProblem(res, 500, `the render failed: ${(err as Error).message}`);
    }
  }
}

function sendProblem(res: Response, status: number, title: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, ...extra }));
}

function sendPng(res: Response, made: Proof): void {
  res
    .type('image/png')
    .set({ 'X-Render-Ms': String(made.ms), 'X-Page-Count': String(made.pageCount), 'Cache-Control': 'no-store' })
    .send(made.png);
}

function send(listeners: Set<Response>, event: string, data: unknown): void {
  for (const l of listeners) l.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function shortProblem(workspace: Workspace, p: LayoutProblem): LayoutProblem {
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
