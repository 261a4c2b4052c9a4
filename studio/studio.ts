import type { AddressInfo } from 'node:net';
import { Engine } from '../engine/index.ts';
import { StudioEvents } from './events.ts';
import { Proofs } from './proofs.ts';
import { studioHosts } from './own-requests.ts';
import { studioApp } from './routes.ts';
import { Workspace } from './workspace.ts';

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

/**
 * The designer's studio: a local web app over a layouts folder. Every picture it shows is a page of the
 * engine's own PDF rasterized as `render --format png` does (never an HTML rendering of its own), so what
 * the designer sees is what prints (proofs.ts). It follows the folder: a save re-renders what was last
 * looked at and tells the page through server-sent events (events.ts). The HTTP API is routes.ts.
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const workspace = new Workspace(options.layoutsDir, options.goldenDir);
  const ownEngine = options.engine === undefined;
  const engine = options.engine ?? (await Engine.start({ tabs: 1, counterTabs: 0 }));
  const proofs = new Proofs(workspace, engine);
  const events = new StudioEvents(workspace);
  events.follow(proofs);
  await workspace.watch();

  let hosts: string[] = [];
  const app = studioApp({ workspace, engine, proofs, events, hosts: () => hosts });
  const server = app.listen(options.port, '127.0.0.1');
  await new Promise<void>((ready, fail) => server.once('listening', ready).once('error', fail));
  const { address, port } = server.address() as AddressInfo;
  hosts = studioHosts(address, port);
  return {
    url: `http://127.0.0.1:${port}/`,
    workspace,
    close: async () => {
      events.close();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await workspace.close();
      if (ownEngine) await engine.close();
    },
  };
}
