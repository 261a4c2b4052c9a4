import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { readVerifiedFont, type VerifiedFont } from '../fonts/fonts.ts';
import type { SealImage } from '../insurers/seal-image.ts';

// The page may load its own fonts and nothing else: no script, no image or style from anywhere, so a
// record holding markup prints as text and the browser never connects outside this server.
const DOCUMENT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; img-src 'self' data:; script-src 'none'; base-uri 'none'; form-action 'none'";

/**
 * A loopback HTTP server that hands Chromium the documents to print, the pinned fonts and the insurers'
 * seal images. Fonts are sent
 * with a long cache lifetime, so a tab pays for a 46 MB face once, not once per document: serving them
 * through request interception instead costs seconds per page load, because interception turns the
 * browser cache off.
 */
export class AssetServer {
  private readonly docs = new Map<string, string>();
  private readonly fonts = new Map<string, VerifiedFont>();
  private readonly images = new Map<string, Buffer>();
  private server: Server | undefined;
  private origin = '';

  constructor(fonts: readonly VerifiedFont[], images: readonly SealImage[] = []) {
    for (const f of fonts) this.fonts.set(f.urlPath, f);
    this.addImages(images);
  }

  /** Serves more images (a seal of an insurer profile reloaded); an image's path is its content hash. */
  addImages(images: readonly SealImage[]): void {
    for (const i of images) this.images.set(i.urlPath, i.png);
  }

  /** Starts listening on an ephemeral port of 127.0.0.1. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const pinned = this.fonts.get(path);
      if (req.method === 'GET' && pinned) {
        // Read and checked again at each request (a tab loading a layout), not held: a font changed on
        // disk since the start is refused, and a long run does not keep 62 MB of fonts in node.
        let font: Buffer;
        try {
          font = readVerifiedFont(pinned);
        } catch {
          res.writeHead(500).end(); // the page's font check then fails the chunk, naming the face
          return;
        }
        res.writeHead(200, {
          'content-type': 'font/ttf',
          'content-length': font.length,
          'cache-control': 'public, max-age=31536000, immutable',
        });
        res.end(font);
        return;
      }
      const image = this.images.get(path);
      if (req.method === 'GET' && image) {
        // Named by their content hash: the same path is always the same image.
        res.writeHead(200, {
          'content-type': 'image/png',
          'content-length': image.length,
          'cache-control': 'public, max-age=31536000, immutable',
        });
        res.end(image);
        return;
      }
      const doc = req.method === 'GET' ? this.docs.get(path) : undefined;
      if (doc !== undefined) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': DOCUMENT_CSP,
        });
        res.end(doc);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Publishes a document under an unguessable path; returns its URL and a function that withdraws it. */
  publish(html: string): { url: string; withdraw: () => void } {
    const path = `/doc/${randomBytes(16).toString('hex')}`;
    this.docs.set(path, html);
    return { url: this.origin + path, withdraw: () => this.docs.delete(path) };
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.docs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
