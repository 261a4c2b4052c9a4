import { createHash } from 'node:crypto';

/**
 * A static layer's drawing (layers.ts): its two prints of one page each, `under` (everything but the
 * rules, drawn under the record's boxes) and `over` (the rules, drawn over them).
 */
export interface StaticPage {
  under: Uint8Array;
  over: Uint8Array;
}

/**
 * The static layers an engine has printed (engine/browser/layers.ts), by name: the name of the layout's
 * head (its fonts, page geometry and CSS) and of the page's static markup. The same name is the same
 * drawing, so a layer printed once serves every later chunk and render of the engine, a counter print's
 * too; the least recently used go first past `max`.
 */
export class StaticLayers {
  private readonly pages = new Map<string, StaticPage>();
  private readonly heads = new Map<string, string>();

  constructor(private readonly max = 512) {}

  /** The static layer `name` of documents with `head`, if printed. */
  get(name: string): StaticPage | undefined {
    const page = this.pages.get(name);
    if (page) {
      this.pages.delete(name);
      this.pages.set(name, page);
    }
    return page;
  }

  /** Keeps a static layer just printed. */
  set(name: string, page: StaticPage): void {
    this.pages.delete(name);
    this.pages.set(name, page);
    for (const oldest of this.pages.keys()) {
      if (this.pages.size <= this.max) break;
      this.pages.delete(oldest);
    }
  }

  /** The full name of a page's static layer: the head's name and the page's (staticSignatures). */
  nameOf(head: string, page: string): string {
    let h = this.heads.get(head);
    if (!h) {
      h = createHash('sha256').update(head).digest('hex').slice(0, 16);
      if (this.heads.size > 64) this.heads.clear();
      this.heads.set(head, h);
    }
    return h + page;
  }
}
