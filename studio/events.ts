import type { Request, Response } from 'express';
import type { Proofs } from './proofs.ts';
import type { FilesChanged, Workspace } from './workspace.ts';

/**
 * The studio's server-sent events (GET /api/events): `hello` with the workspace's generation when a page
 * connects, and `change` (FilesChanged, the generation, and the re-render's ms) after each save, once what
 * the designer last looked at is printed again.
 */
export class StudioEvents {
  private readonly listeners = new Set<Response>();

  constructor(private readonly workspace: Workspace) {}

  /** Follows the workspace: every save re-prints through `proofs`, then tells every page. */
  follow(proofs: Proofs): void {
    this.workspace.on('change', (changed: FilesChanged) => {
      void (async () => {
        // What the designer last looked at in each layout the save touched is printed again at once, so
        // the page's own request after the event finds it ready.
        const ms = await proofs.reprint(changed.layouts);
        this.send('change', { ...changed, generation: this.workspace.generation, ...(ms === undefined ? {} : { ms }) });
      })();
    });
  }

  /** The route of GET /api/events: keeps the answer open as an event stream until the page goes. */
  readonly stream = (req: Request, res: Response): void => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(`event: hello\ndata: ${JSON.stringify({ generation: this.workspace.generation })}\n\n`);
    this.listeners.add(res);
    req.on('close', () => this.listeners.delete(res));
  };

  /** Ends every open stream (the studio is closing). */
  close(): void {
    for (const l of this.listeners) l.end();
  }

  private send(event: string, data: unknown): void {
    for (const l of this.listeners) l.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
