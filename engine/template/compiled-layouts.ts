import { createHash } from 'node:crypto';
import type { Layout } from '../layouts/layouts.ts';
import { compileLayout, type CompiledLayout } from './document.ts';

/** How many compiled layout versions an engine keeps. */
const COMPILED_KEPT = 32;

/**
 * Compiled layouts, cached by what the templates and CSS say, not by the layout's id: an edited layout (or
 * a draft never saved) is compiled afresh, an unchanged one never twice. A studio session makes a new
 * version with every save: only the most recently used few are kept.
 */
export class CompiledLayouts {
  private readonly compiled = new Map<string, CompiledLayout>();

  /** The layout compiled with its images' CSS. */
  get(layout: Layout, imagesCss: string): CompiledLayout {
    const key = layoutContentKey(layout, imagesCss);
    let c = this.compiled.get(key);
    if (c)
      this.compiled.delete(key); // most recently used goes last
    else c = compileLayout(layout, imagesCss);
    this.compiled.set(key, c);
    for (const oldest of this.compiled.keys()) {
      if (this.compiled.size <= COMPILED_KEPT) break;
      this.compiled.delete(oldest);
    }
    return c;
  }
}

/** What a compiled layout depends on, as one digest. */
function layoutContentKey(layout: Layout, imagesCss: string): string {
  const { id, name, page, sealMm, sideTemplates, partialSources, css } = layout;
  const content = JSON.stringify([id, name, page, sealMm, sideTemplates.map((s) => [s.id, s.source]), partialSources, css, imagesCss]);
  return createHash('sha256').update(content).digest('hex');
}
