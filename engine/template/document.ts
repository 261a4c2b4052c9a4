import Handlebars from 'handlebars';
import type { Layout } from '../layouts/layouts.ts';
import type { PrintValues } from '../format/print-values.ts';
import { RULE_PROPERTIES, withRuleWidths } from './rule-widths.ts';

/** A layout's sides compiled once: each turns one record's printed values into that page's inner HTML. */
export interface CompiledLayout {
  layout: Layout;
  sides: { id: string; render: (values: PrintValues) => string }[];
  /** The layout's CSS with its declared border widths mirrored for engine/browser/rules.ts. */
  css: string;
  /** The selectors of the rules that declare border widths. */
  ruleSelectors: string[];
}

/**
 * Compiles a layout's side templates, with the CSS of its images (`imagesCss`, from layout-images.ts). Handlebars escapes every value, so a name holding markup prints as
 * text; strict mode makes a template that names a value the engine does not provide fail loudly.
 */
export function compileLayout(layout: Layout, imagesCss = ''): CompiledLayout {
  const hb = Handlebars.create();
  for (const [name, source] of Object.entries(layout.partialSources)) hb.registerPartial(name, source);
  const ruled = withRuleWidths(layout.css);
  return {
    layout,
    // the layout's images (layout-images.ts) come first: the layout's own CSS may place their boxes
    css: imagesCss ? `${imagesCss}\n${ruled.css}` : ruled.css,
    // pseudo-elements cannot be selected from the page; their borders stay CSS
    ruleSelectors: ruled.selectors
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s && !/::?(before|after|marker|first-line|first-letter)/i.test(s)),
    sides: layout.sideTemplates.map((side) => {
      const template = hb.compile(side.source, { strict: true, noEscape: false });
      return { id: side.id, render: (values: PrintValues) => template(values) };
    }),
  };
}

/** The page geometry every document gets from the engine, whatever the layout's CSS says. */
function sheetCss(layout: Layout): string {
  const { widthMm: w, heightMm: h } = layout.page;
  return [
    `@page{size:${w}mm ${h}mm;margin:0}`,
    RULE_PROPERTIES,
    'html,body{margin:0;padding:0}',
    // Each page is a fixed box that never grows or spills into the next record's page. It is white, not
    // the document: Chromium paints the document's background on each page to a height that depends on
    // where the page stands (the last one is shorter), the page's own box the same wherever it stands.
    `.sheet{position:relative;box-sizing:border-box;width:${w}mm;height:${h}mm;overflow:hidden;break-after:page;background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}`,
    '.sheet:last-child{break-after:auto}',
    // Text whose variation sequences only IPAmj Mincho draws is set wholly in it (engine/format/print-values.ts).
    '.glyph-mj{font-family:"ipamj-mincho"!important}',
    // The insurer's seal fills its box (layout.json sealMm), keeping its proportions.
    ...(layout.sealMm ? [`.seal-slot{width:${layout.sealMm}mm;height:${layout.sealMm}mm;line-height:0}`] : []),
    '.seal-slot img{display:block;width:100%;height:100%;object-fit:contain}',
  ].join('\n');
}

/** A chunk's HTML document and, for each page of the output, which printed page of it to use. */
export interface ChunkDocument {
  /**
   * The inside of `<head>`: the fonts, the page geometry and the layout's CSS; the same for every chunk of
   * a layout, so a tab keeps it loaded and only swaps the body (tab-pool.ts).
   */
  head: string;
  /** The inside of `<body>`: the chunk's pages. */
  body: string;
  /**
   * For each record's sides in turn (records × sides entries), the 0-based page of the printed document
   * that is that page. A page whose content equals an earlier one of the chunk (a card back with no
   * personal data on it) is printed once and named again: Chromium draws it once, the PDF holds it once.
   */
  pages: number[];
  /** How many pages the document prints. */
  printedPages: number;
}

/**
 * One HTML document for a chunk of records: for each record, each side, in order, except that a page
 * equal to one already in the chunk is left out and named again in `pages`. Pages are tagged with their
 * record's position so the engine can map problems back to records. `share: false` keeps every page: the
 * plain document, as bench --reference prints it.
 */
export function buildDocument(
  compiled: CompiledLayout,
  records: readonly PrintValues[],
  fontFaces: string,
  options: { share?: boolean } = {},
): ChunkDocument {
  const { layout } = compiled;
  const share = options.share ?? true;
  const sections: string[] = [];
  const pages: number[] = [];
  const printed = new Map<string, number>();
  for (const values of records) {
    for (const side of compiled.sides) {
      const inner = side.render(values);
      // Equal pages: the same side, the same insurer colour and the same markup (the record tag aside).
      const key = `${side.id}\u0000${values.accent}\u0000${inner}`;
      const earlier = share ? printed.get(key) : undefined;
      if (earlier !== undefined) {
        pages.push(earlier);
        continue;
      }
      printed.set(key, sections.length);
      pages.push(sections.length);
      // --accent: the insurer's colour for title rules (a checked #rrggbb, so safe in the attribute).
      sections.push(
        `<section class="sheet side-${side.id}" data-record="${values.index}" data-side="${side.id}" style="--accent:${values.accent}">${inner}</section>`,
      );
    }
  }
  const head = `<meta charset="utf-8"><title>${Handlebars.escapeExpression(layout.name)}</title>
<meta name="shikaku-rule-selectors" content="${Handlebars.escapeExpression(JSON.stringify(compiled.ruleSelectors))}">
<style>
${fontFaces}
${sheetCss(layout)}
${compiled.css}
</style>`;
  return { head, body: sections.join('\n'), pages, printedPages: sections.length };
}

/** A chunk document as one HTML file. */
export function documentHtml(doc: { head: string; body: string }): string {
  return `<!doctype html>\n<html lang="ja"><head>${doc.head}</head>\n<body>\n${doc.body}\n</body></html>`;
}
