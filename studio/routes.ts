import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request } from 'express';
import { FIELDS, PrintError, scaffoldLayout, summarizeLayout, type Engine, type Layout } from '../engine/index.ts';
import { badRequest, sendPng, studioAnswers } from './answers.ts';
import type { StudioEvents } from './events.ts';
import { ownRequests } from './own-requests.ts';
import { layoutById, layoutProblems, shortProblem, type Proofs, type View } from './proofs.ts';
import { ShownPaths } from './shown-paths.ts';
import type { Workspace } from './workspace.ts';

const PUBLIC_DIR = resolve(fileURLToPath(import.meta.url), '../public');

const DEFAULT_DPI = 150;
/**
 * The service's cap (server/api-schemas.ts, `dpi`): a card at 1200 dpi takes seconds and a 100-megapixel
 * PNG, which any page could ask for again and again.
 */
const MAX_DPI = 600;

/** What the routes work on. */
export interface StudioParts {
  workspace: Workspace;
  engine: Engine;
  proofs: Proofs;
  events: StudioEvents;
  /** The Host values the studio answers to (own-requests.ts), known once it listens. */
  hosts: () => readonly string[];
}

/** The studio's web app: its page (public/) and its API (docs/spec/interfaces.md, Studio). */
export function studioApp({ workspace, engine, proofs, events, hosts }: StudioParts): Express {
  const paths = new ShownPaths({ layouts: workspace.root, goldens: workspace.goldenRoot, insurers: engine.insurers.dir });
  const answers = studioAnswers(paths);
  const { answer } = answers;
  const app = express();
  app.disable('x-powered-by');
  const guard = ownRequests(hosts, answers);
  app.use(guard.all);
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));
  app.get('/favicon.ico', (_req, res) => res.status(204).end());

  app.get('/api/layouts', (_req, res) => {
    const layouts = [...workspace.layouts.values()].map((l) => describeLayout(workspace, l));
    const broken = workspace.broken.map((b) => ({
      id: b.id,
      problems: workspace.fileProblems(b.id).map((p) => shortProblem(workspace, p)),
    }));
    res.json({ layouts, broken: paths.deep(broken), fields: FIELDS });
  });

  app.get('/api/preview', guard.printing, async (req, res) => {
    await answer(res, async () => {
      sendPng(res, await proofs.show(viewOf(workspace, req, recordOf(workspace, req)), false));
    });
  });

  app.post('/api/preview', express.json({ limit: '1mb' }), async (req, res) => {
    await answer(res, async () => {
      sendPng(res, await proofs.show(viewOf(workspace, req, req.body as unknown), false));
    });
  });

  // The studio page's own call: a draft (a box that does not fit is printed cut off and shown in red
  // rather than refused), with the fitting of every box and the render time.
  app.post('/api/proof', express.json({ limit: '1mb' }), async (req, res) => {
    await answer(res, async () => {
      const made = await proofs.show(viewOf(workspace, req, req.body as unknown), true);
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

  app.get('/api/problems', guard.printing, async (req, res) => {
    await answer(res, async () => {
      const problems = await layoutProblems(workspace, engine, query(req, 'layout'));
      res.json({ problems: paths.deep(problems.map((p) => shortProblem(workspace, p))) });
    });
  });

  app.get('/api/golden', async (req, res) => {
    await answer(res, () => {
      const file = workspace.goldenPage(query(req, 'layout'), query(req, 'case'), Number(query(req, 'page') || 1));
      if (!file) throw new PrintError('NOT_FOUND', 'no such golden page');
      res.type('image/png').send(readFileSync(file));
    });
  });

  // The insurer profile a preview's record takes its insurer's name, contact and seal from: shown and
  // edited here, checked as the engine checks it at start; a profile that does not load is not kept.
  app.get('/api/insurers/:number', async (req, res) => {
    await answer(res, () => {
      const file = profileFile(engine, req.params.number);
      if (!file || !existsSync(file))
        throw new PrintError(
          'NOT_FOUND',
          engine.insurers.dir
            ? `no insurer profile ${paths.file(join(engine.insurers.dir, `${req.params.number}.json`))}`
            : `no insurer profile ${req.params.number}.json: the studio was started without a profiles folder`,
        );
      res.json({ file: paths.file(file), profile: JSON.parse(readFileSync(file, 'utf8')) as unknown });
    });
  });

  app.put('/api/insurers/:number', express.json({ limit: '256kb' }), async (req, res) => {
    await answer(res, async () => {
      const file = profileFile(engine, req.params.number);
      if (!file) throw badRequest('a 保険者番号 is 6 or 8 digits');
      const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      writeFileSync(file, `${JSON.stringify(req.body, null, 2)}\n`);
      try {
        await engine.reloadInsurers();
      } catch (err) {
        if (before === undefined) rmSync(file);
        else writeFileSync(file, before);
        // the engine's SETUP error, but here the profile in this request is what is wrong
        throw badRequest((err as Error).message);
      }
      workspace.generation++; // what was printed with the old profile is stale
      res.json({ file: paths.file(file), profile: req.body as unknown });
    });
  });

  app.post('/api/layouts', express.json(), async (req, res) => {
    await answer(res, () => {
      const body = (req.body ?? {}) as { id?: unknown; from?: unknown; extend?: unknown };
      let made;
      try {
        made = scaffoldLayout({
          layoutsDir: workspace.root,
          goldenDir: workspace.goldenRoot,
          id: typeof body.id === 'string' ? body.id : '',
          from: typeof body.from === 'string' ? body.from : '',
          extend: body.extend === true,
        });
      } catch (err) {
        throw badRequest((err as Error).message); // the engine's SETUP error, but here the request asked for it
      }
      workspace.reload();
      res.status(201).json({ ...made, dir: paths.file(made.dir), ...(made.golden ? { golden: paths.file(made.golden) } : {}) });
    });
  });

  app.get('/api/events', events.stream);
  app.use(answers.notFound);
  app.use(answers.unhandled);
  return app;
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

function viewOf(workspace: Workspace, req: Request, record: unknown): View {
  const layout = query(req, 'layout');
  const page = Number(query(req, 'page') || 1);
  const dpi = Number(query(req, 'dpi') || DEFAULT_DPI);
  // A layout's own proof resolution is always let through: its golden images are made at it.
  const most = Math.max(MAX_DPI, workspace.layouts.get(layout)?.proofDpi ?? 0);
  if (!Number.isInteger(page) || page < 1) throw badRequest('page must be a whole number from 1');
  if (!Number.isInteger(dpi) || dpi < 36 || dpi > most) {
    throw badRequest(`dpi must be a whole number from 36 to ${most}; received ${query(req, 'dpi')}`);
  }
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
