/**
 * A page printed as two layers (print once, docs/spec/interfaces.md): the static layer, everything that
 * does not depend on the record (the title, the labels, every rule and frame, the seal, the insurer's
 * name), printed once per layout side and variant and kept as a form that every page of the file draws;
 * and the variable layer, only the record's boxes, printed for every page. The in-page scripts here split
 * a laid-out chunk document into the two.
 *
 * The variable layer is made of copies of the boxes (VARIABLE_LAYER). Printing the laid-out pages as they
 * are with everything but the boxes hidden was tried (simpler, exact by construction) and measured worse on
 * a quiet machine: bench --records 10000, 281–293 against 301–303 cards/s and 1545–1594 against 1386–1392
 * MiB proportional memory, since Chromium then lays the whole chunk out again to print it.
 *
 * The record's boxes are the elements marked `data-field` (the fixed boxes of the fields) and `data-var`
 * (anything else a template derives from the record: the 宛名 block, the card's code, a carrier's list);
 * a box inside another is part of it. Everything else is static. A layout that prints a record value
 * outside a marked box has a static layer that differs from record to record: the static-layer check
 * (engine/layers/static-check.ts) finds it, naming the element.
 */

/** The record's boxes. */
export const VAR_SELECTOR = '[data-field],[data-var]';

/**
 * Keeps only the pages (`.sheet`s) at `indices` (0-based, in order): the variable layer of the others is
 * written without Chromium (engine/pdf/text-layer.ts). Each page is a box of its own size, so the pages kept
 * lay out as before.
 */
export const KEEP_SHEETS = `((indices) => {
  const keep = new Set(indices);
  [...document.querySelectorAll('.sheet')].forEach((sheet, i) => { if (!keep.has(i)) sheet.remove(); });
})`;

/**
 * What each page's static layer is: the page's markup with every record box emptied (its tag and
 * attributes kept, the style fitting gave it dropped) and its place and size written in (to 1/64 px, as
 * laid out), the page's record number left out. Two pages with the same static markup have the same static
 * layer: the same markup, the same places for the record's boxes, the same CSS. Run after fitting and
 * before anything changes the page for printing. Answers one name per page (`withText`: and the markup):
 * the first 112 bits of the markup's SHA-256, in hex.
 *
 * The markup is the page's serialisation with each box's cut out and its emptied tag put in its place,
 * nothing cloned; and the digest is the page's own (SubtleCrypto): a clone of each page and a hash
 * written in script cost about 60 ms a 100-card chunk.
 */
export function staticSignatures(withText: boolean): string {
  return `(async () => {
  const VAR = '${VAR_SELECTOR}';
  const sheets = [...document.querySelectorAll('.sheet')];
  // 1. Every place first (reading a place lays the page out once; reading markup lays out nothing).
  const pages = sheets.map((sheet) => {
    const o = sheet.getBoundingClientRect();
    const boxes = [...sheet.querySelectorAll(VAR)].filter((el) => !el.parentElement.closest(VAR));
    const places = boxes.map((el) => {
      const r = el.getBoundingClientRect();
      return [r.left - o.left, r.top - o.top, r.width, r.height].map((v) => Math.round(v * 64)).join(',');
    });
    return { sheet, boxes, places };
  });
  const quoted = (v) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/\u00a0/g, '&nbsp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // 2. Each page's markup: the boxes, in order, each replaced by its emptied tag with its place.
  const texts = pages.map(({ sheet, boxes, places }) => {
    const whole = sheet.outerHTML;
    const open = whole.indexOf('>') + 1;
    let text = whole.slice(0, open).replace(/ data-record="[^"]*"/, '');
    let at = open;
    boxes.forEach((el, i) => {
      const box = el.outerHTML;
      const k = whole.indexOf(box, at);
      if (k < 0) throw new Error('a record box is not where the page serialises it');
      let attributes = '';
      for (const a of el.attributes) if (a.name !== 'style' && a.name !== 'data-fitted') attributes += ' ' + a.name + '="' + quoted(a.value) + '"';
      text += whole.slice(at, k) + '<' + el.localName + attributes + ' data-place="' + places[i] + '"></' + el.localName + '>';
      at = k + box.length;
    });
    return text + whole.slice(at);
  });
  const encoder = new TextEncoder();
  const digests = await Promise.all(texts.map((text) => crypto.subtle.digest('SHA-256', encoder.encode(text))));
  const names = digests.map((d) => [...new Uint8Array(d, 0, 14)].map((b) => b.toString(16).padStart(2, '0')).join(''));
  return ${withText ? 'names.map((name, i) => ({ name, text: texts[i] }))' : 'names'};
})()`;
}

/**
 * Prepares the document to print the static layer of the pages `indices` (0-based): the other pages
 * are left out, and the record's boxes of these are hidden, keeping their room. Undone by
 * END_LAYER. The static layer prints in two parts: under the record's boxes everything but the rules,
 * and over them the rules (rules.ts draws them above everything, where a glyph may touch one).
 * STATIC_PART picks the part.
 */
export const STATIC_LAYER = `((indices) => {
  const sheets = [...document.querySelectorAll('.sheet')];
  for (const i of indices) sheets[i].setAttribute('data-layer', 'static');
  const style = document.createElement('style');
  style.id = 'shikaku-layer';
  style.textContent = '.sheet:not([data-layer=static]){display:none!important}' +
    '.sheet[data-layer=static] :is(${VAR_SELECTOR}){visibility:hidden!important}' +
    'body[data-part=under] .sheet > svg.rules-layer{visibility:hidden!important}' +
    'body[data-part=over] .sheet > :not(svg.rules-layer){visibility:hidden!important}' +
    'body[data-part=over] .sheet{background:transparent!important}';
  document.head.appendChild(style);
})`;

/** Which part of the static layer prints: 'under' or 'over' (STATIC_LAYER). */
export const STATIC_PART = `((part) => { document.body.setAttribute('data-part', part); })`;

/**
 * Takes the style of STATIC_LAYER or VARIABLE_LAYER away, so the document prints whole again (the rules
 * drawn stay: they moved nothing).
 */
export const END_LAYER = `(() => {
  document.getElementById('shikaku-layer')?.remove();
  document.body.removeAttribute('data-part');
  for (const sheet of document.querySelectorAll('.sheet[data-layer]')) sheet.removeAttribute('data-layer');
})()`;

/** Rules the static layer draws: those of every element that is not inside a record box, on the pages printed. */
export const STATIC_RULES = `(el) => el.closest('.sheet[data-layer=static]') !== null && !el.parentElement?.closest('${VAR_SELECTOR}')`;

/**
 * The table cells whose rules the static layer draws: taking their CSS borders away lays a table with
 * collapsed borders out again (rules.ts), which moves the record's boxes in it by half a rule. The
 * variable layer of a page whose static layer was printed earlier has them taken away too (without
 * drawing), so that its boxes stand where they do on the page printed whole.
 */
export const STATIC_CELLS = `(el) => !el.parentElement?.closest('${VAR_SELECTOR}') && getComputedStyle(el).display === 'table-cell'`;

/** Rules the variable layer draws: those of elements inside a record box (a carrier's list of members). */
export const VARIABLE_RULES = `(el) => el.parentElement?.closest('${VAR_SELECTOR}') != null`;

/**
 * What the variable layer copies of each element of a record box, as the page computed it: everything
 * that places, sizes or draws its text, its boxes inside and their codes. The copy is made without the
 * layout's classes, so no rule of the layout's CSS applies to it any more (the page around it is gone,
 * and matching the layout's selectors again would cost more than the print).
 */
const COPIED = [
  'display',
  'position',
  'top',
  'right',
  'bottom',
  'left',
  'float',
  'box-sizing',
  'width',
  'height',
  'min-width',
  'max-width',
  'min-height',
  'max-height',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border-top-style',
  'border-right-style',
  'border-bottom-style',
  'border-left-style',
  'border-top-width',
  'border-right-width',
  'border-bottom-width',
  'border-left-width',
  'border-top-color',
  'border-right-color',
  'border-bottom-color',
  'border-left-color',
  'overflow-x',
  'overflow-y',
  'text-overflow',
  'visibility',
  'opacity',
  'flex-direction',
  'flex-wrap',
  'justify-content',
  'align-items',
  'align-content',
  'align-self',
  'justify-items',
  'justify-self',
  'flex-grow',
  'flex-shrink',
  'flex-basis',
  'order',
  'row-gap',
  'column-gap',
  'grid-template-columns',
  'grid-template-rows',
  'grid-column-start',
  'grid-column-end',
  'grid-row-start',
  'grid-row-end',
  'border-collapse',
  'border-spacing',
  'table-layout',
  'caption-side',
  'empty-cells',
  'vertical-align',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'font-stretch',
  'font-kerning',
  'font-feature-settings',
  'font-variation-settings',
  'font-variant-ligatures',
  'font-variant-caps',
  'font-variant-numeric',
  'font-variant-east-asian',
  'font-variant-position',
  'font-synthesis-weight',
  'font-synthesis-style',
  'font-synthesis-small-caps',
  'font-optical-sizing',
  'text-rendering',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'text-align',
  'text-align-last',
  'text-indent',
  'text-transform',
  'text-justify',
  'white-space-collapse',
  'text-wrap-mode',
  'text-wrap-style',
  'word-break',
  'line-break',
  'overflow-wrap',
  'hyphens',
  'tab-size',
  'color',
  'text-decoration-line',
  'text-decoration-style',
  'text-decoration-color',
  'text-decoration-thickness',
  'text-underline-offset',
  'text-underline-position',
  'text-emphasis-style',
  'text-emphasis-color',
  'text-emphasis-position',
  'text-shadow',
  '-webkit-text-stroke-width',
  '-webkit-text-stroke-color',
  '-webkit-text-fill-color',
  'writing-mode',
  'text-orientation',
  'direction',
  'unicode-bidi',
  'text-combine-upright',
  'background-color',
  'background-image',
  'background-size',
  'background-position',
  'background-repeat',
  'background-clip',
  'background-origin',
  'transform',
  'transform-origin',
  'object-fit',
  'object-position',
  'image-rendering',
  'fill',
  'fill-opacity',
  'fill-rule',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'stroke-dasharray',
  'stroke-dashoffset',
  'stroke-miterlimit',
  'shape-rendering',
  'vector-effect',
  'paint-order',
  'print-color-adjust',
  '-webkit-print-color-adjust',
];

/**
 * Makes the document the variable layer of its pages: each page keeps only copies of its record boxes,
 * each at its place (absolute, to 1/64 px, with its size as laid out), drawn from the styles the page
 * computed for it and everything inside it (COPIED), not from the layout's CSS; and the rules drawn for
 * what is inside a box (VARIABLE_RULES). A box's own border is left to the static layer (padding takes
 * its place, so nothing inside moves); its background stays with it. A box laid out as a line of text
 * (display: inline) keeps its baseline: its line is made exactly as tall as the text's own box. Run
 * after drawRules(VARIABLE_RULES). Called with each page's static layer name and, optionally, for each page
 * the indices (in the page's order of boxes) of the boxes to leave out: those the glyph writer writes
 * (engine/browser/text-runs.ts). Answers the number of boxes.
 *
 * Reading an element's computed styles exactly is slow (Typed OM), and a hundred pages repeat the same
 * boxes: styles are read once per kind of element, which is what decides them: its page's static layer
 * (the same markup around it), and its own and its ancestors' tags, attributes (classes, inline styles,
 * a code's path data), places among their siblings and whether they are empty. SVG geometry is left to
 * the copies' own attributes. The copies get one class per distinct style, so
 * the print matches one rule per element.
 */
export const VARIABLE_LAYER = `((names, skip) => {
  const VAR = '${VAR_SELECTOR}';
  const COPIED = ${JSON.stringify(COPIED)}.filter((p) => CSS.supports(p, 'initial'));
  const SIDES = ['Top', 'Right', 'Bottom', 'Left'];
  // Values as exact as the page has them: what the element's own style says (fitting's size and
  // compression), else the computed value with its number whole (getComputedStyle writes 6 digits:
  // a line of 19.984375 px would come back 20 px and its text a pixel lower).
  const styleOf = (el) => {
    const map = el.computedStyleMap();
    const own = el.style;
    let text = '';
    for (const p of COPIED) {
      let v = own ? own.getPropertyValue(p) : '';
      if (v === '') {
        const t = map.get(p);
        if (!t) continue;
        v = t instanceof CSSUnitValue ? t.value + (t.unit === 'number' ? '' : t.unit === 'percent' ? '%' : t.unit) : t.toString();
      }
      if (v !== '') text += p + ':' + v + ';';
    }
    return text;
  };
  const kinds = new Map();
  const keyOf = (el, sheet) => {
    let key = '';
    for (let e = el; e && e !== sheet; e = e.parentElement) {
      let index = 0;
      for (let s = e.previousElementSibling; s; s = s.previousElementSibling) index++;
      // every attribute: SVG geometry and paint (a code's path, an image's source) come from them
      let attributes = '';
      for (const a of e.attributes) attributes += a.name + '=' + a.value + ' ';
      key += e.tagName + '#' + index + '[' + attributes + ']' + (e.firstChild ? '' : '0') + '<';
    }
    return key;
  };
  const styleKey = (el, sheet, name) => {
    const key = name + '|' + keyOf(el, sheet);
    let style = kinds.get(key);
    if (style === undefined) {
      style = styleOf(el);
      kinds.set(key, style);
    }
    return style;
  };
  // 1. Read every box and the styles of everything in it, before anything changes (a change between
  //    reads would lay the page out again).
  const pages = [];
  const sheets = [...document.querySelectorAll('.sheet')];
  sheets.forEach((sheet, n) => {
    const o = sheet.getBoundingClientRect();
    const boxes = [];
    let index = 0;
    for (const el of sheet.querySelectorAll(VAR)) {
      if (el.parentElement.closest(VAR)) continue;
      if (skip?.[n]?.includes(index++)) continue;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      const padding = SIDES.map((s) => parseFloat(cs['padding' + s]) + (cs['border' + s + 'Style'] === 'none' ? 0 : parseFloat(cs['border' + s + 'Width'])));
      const x = r.left - o.left, y = r.top - o.top, w = r.width, h = r.height;
      const place = 'position:absolute;left:' + x + 'px;top:' + y + 'px;right:auto;bottom:auto;width:' + w + 'px;height:' + h + 'px;' +
        'min-width:0;max-width:none;min-height:0;max-height:none;margin:0;box-sizing:border-box;border-style:none;float:none;' +
        SIDES.map((side, i) => 'padding-' + side.toLowerCase() + ':' + padding[i] + 'px;').join('') +
        (cs.display === 'inline' ? 'line-height:' + (h - padding[0] - padding[2]) + 'px;' : '');
      const inside = [...el.querySelectorAll('*')];
      boxes.push({ el, styles: [styleKey(el, sheet, names[n]) + place, ...inside.map((e) => styleKey(e, sheet, names[n]))] });
    }
    pages.push({ sheet, boxes, rules: sheet.querySelector(':scope > svg.rules-layer[data-layer-rules]') });
  });
  // 2. One class per distinct style; each page becomes its copies.
  const classes = new Map();
  const classOf = (style) => {
    let c = classes.get(style);
    if (!c) {
      c = 'v' + classes.size;
      classes.set(style, c);
    }
    return c;
  };
  let count = 0;
  for (const { sheet, boxes, rules } of pages) {
    const copies = boxes.map((b) => {
      const copy = b.el.cloneNode(true);
      [copy, ...copy.querySelectorAll('*')].forEach((e, i) => {
        for (const a of [...e.attributes]) if (a.name.startsWith('data-') || a.name === 'style') e.removeAttribute(a.name);
        e.setAttribute('class', classOf(b.styles[i]));
      });
      return copy;
    });
    count += copies.length;
    sheet.replaceChildren(...copies, ...(rules ? [rules] : []));
  }
  const style = document.createElement('style');
  style.id = 'shikaku-layer';
  // no white page under it: the static layer is drawn first
  style.textContent = '.sheet{background:transparent!important}' + [...classes].map(([text, c]) => '.' + c + '{' + text + '}').join('');
  document.head.appendChild(style);
  return count;
})`;
