import type { PageText, TextRun } from '../fonts/glyph-runs.ts';
import { VAR_SELECTOR } from './layers.ts';

/**
 * The variable layer's text, read from the laid-out chunk for engine/pdf/text-layer.ts to write without
 * Chromium's print (print once, the glyph writer: docs/spec/interfaces.md).
 *
 * For each page, each of its record boxes (layers.ts, in their order) with the rectangle that clips it and
 * the text it draws, one run per text node with the style that decides its glyphs and where each of its
 * lines was laid out; or, for a box that draws anything but plain text in one colour (a code, a rule, a
 * background, a transform such as fitting's compression, a generated text), why not: that box is left to
 * Chromium. Run after the static cells' borders are taken away (STATIC_CELLS), as the variable layer lays
 * out.
 * Whether each run's glyphs are exactly what the pinned fonts give is decided where the fonts are read
 * (engine/fonts/glyph-runs.ts), against the widths laid out here. What it answers: PageText (glyph-runs.ts).
 */

/**
 * The in-page script, called with each page's static layer name (layers.ts): answers, compactly, a
 * PageText per `.sheet`, in order (pageTexts reads it). Changes nothing. What an element's style decides is read once per kind of element
 * (its page's static layer, its box, its own and its ancestors' tags, classes, inline styles and places
 * in the box), and kept in the tab while it keeps its layout: reading styles element by element cost
 * 370 ms a 100-card chunk.
 */
export const TEXT_RUNS = `((names) => {
  const VAR = '${VAR_SELECTOR}';
  const SIDES = ['Top', 'Right', 'Bottom', 'Left'];
  const TEXT_TAGS = new Set(['DIV', 'SPAN', 'DD', 'DT', 'DL', 'P', 'B', 'STRONG', 'SMALL', 'LABEL']);
  const NONE_PSEUDO = (el, p) => { const c = getComputedStyle(el, p).content; return c === 'none' || c === 'normal'; };
  const color = (s) => {
    const m = /^rgba?\\((\\d+), (\\d+), (\\d+)(?:, ([\\d.]+))?\\)$/.exec(s);
    return m && (m[4] === undefined || m[4] === '1') ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  };
  // What an element may have and still draw nothing but its text's glyphs (its own border, when it is the
  // box, goes to the static layer).
  const plain = (el, isBox) => {
    if (!TEXT_TAGS.has(el.tagName)) return 'a ' + el.tagName.toLowerCase() + ' element';
    const cs = getComputedStyle(el);
    if (cs.display === 'none') return '';
    if (cs.visibility !== 'visible') return 'visibility';
    if (cs.opacity !== '1') return 'opacity';
    if (cs.transform !== 'none') return 'a transform';
    if (cs.filter !== 'none' || cs.mixBlendMode !== 'normal') return 'a filter';
    if (cs.display === 'list-item' || cs.display.startsWith('table') || cs.display === 'ruby') return 'display ' + cs.display;
    if (cs.backgroundColor !== 'rgba(0, 0, 0, 0)' || cs.backgroundImage !== 'none') return 'a background';
    if (cs.boxShadow !== 'none' || cs.textShadow !== 'none' || cs.outlineStyle !== 'none') return 'a shadow or outline';
    if (!isBox && SIDES.some((s) => cs['border' + s + 'Style'] !== 'none' && parseFloat(cs['border' + s + 'Width']) > 0)) return 'a border';
    if (cs.textDecorationLine !== 'none' || cs.textEmphasisStyle !== 'none') return 'a text decoration';
    if (cs.fontStyle !== 'normal' || cs.writingMode !== 'horizontal-tb' || cs.direction !== 'ltr') return 'a font style or writing mode';
    if (cs.fontFeatureSettings !== 'normal' || cs.fontVariant !== 'normal' || cs.textTransform !== 'none' || cs.fontKerning === 'normal') return 'a font feature';
    if (cs.webkitTextStrokeWidth !== '0px') return 'a text stroke';
    if (!NONE_PSEUDO(el, '::before') || !NONE_PSEUDO(el, '::after')) return 'generated text';
    return '';
  };
  // The style a text node's glyphs are drawn with, from its element.
  const runStyle = (el) => {
    const cs = getComputedStyle(el);
    // Exact values (Typed OM): getComputedStyle writes 6 digits.
    const map = el.computedStyleMap();
    const spacing = map.get('letter-spacing');
    return {
      hidden: cs.display === 'none',
      pre: cs.whiteSpace.startsWith('pre'),
      color: color(cs.color),
      family: cs.fontFamily.split(',')[0].trim().replace(/^"|"$/g, ''),
      weight: Number(cs.fontWeight),
      size: map.get('font-size').value,
      spacing: spacing instanceof CSSUnitValue ? spacing.value : 0,
    };
  };
  // Kept in the tab from chunk to chunk: a tab keeps its layout's head (its CSS), and a kind's key holds
  // its page's static layer name.
  const kinds = (window.__shikakuTextKinds ??= new Map());
  const kindOf = (prefix, el, box, read) => {
    let key = prefix;
    for (let e = el; e !== box.parentElement; e = e.parentElement) {
      let index = 0;
      for (let s = e.previousElementSibling; s; s = s.previousElementSibling) index++;
      key += '<' + e.tagName + '#' + index + '.' + e.className + '[' + (e.getAttribute('style') ?? '') + ']' + (e.firstChild ? '' : '0');
    }
    let kind = kinds.get(key);
    if (kind === undefined) {
      kind = read();
      kinds.set(key, kind);
    }
    return kind;
  };
  // Answered compactly (the answer crosses DevTools as JSON): each run's style once, by index.
  const styles = [];
  const styleIndex = new Map();
  const pages = [];
  [...document.querySelectorAll('.sheet')].forEach((sheet, n) => {
    const o = sheet.getBoundingClientRect();
    const boxes = [];
    let b = 0;
    for (const el of sheet.querySelectorAll(VAR)) {
      if (el.parentElement.closest(VAR)) continue;
      const prefix = names[n] + '|' + b++;
      let not = kindOf(prefix + 'a', el, el, () => {
        for (let a = el.parentElement; a && a !== sheet; a = a.parentElement) {
          const cs = getComputedStyle(a);
          if (cs.transform !== 'none' || cs.opacity !== '1' || cs.filter !== 'none') return 'a transformed container';
        }
        return '';
      });
      // A QR code (engine/format/qr-code.ts) alone in its box, which does not clip: its modules are written too.
      const svg = el.firstElementChild;
      if (!not && el.childNodes.length === 1 && svg?.tagName === 'svg' && svg.classList.contains('qr-code')) {
        const why = kindOf(prefix + 'q', svg, el, () => {
          const box = plain(el, true);
          if (box && !box.startsWith('a svg')) return box;
          const cs = getComputedStyle(el);
          if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') return 'a QR code in a box that clips';
          const ss = getComputedStyle(svg);
          if (ss.transform !== 'none' || ss.opacity !== '1' || ss.visibility !== 'visible' || ss.filter !== 'none') return 'a transformed QR code';
          return '';
        });
        const [rect, path] = svg.children;
        const vb = svg.viewBox.baseVal;
        if (!why && svg.children.length === 2 && rect?.tagName === 'rect' && rect.getAttribute('fill') === '#fff' &&
            path?.tagName === 'path' && path.getAttribute('fill') === '#000' && vb.x === 0 && vb.y === 0 && vb.width === vb.height &&
            rect.getAttribute('width') === String(vb.width) && rect.getAttribute('height') === String(vb.height) && !rect.getAttribute('x') && !rect.getAttribute('y')) {
          const q = svg.getBoundingClientRect();
          boxes.push({ qr: [q.left - o.left, q.top - o.top, q.width, q.height, vb.width, path.getAttribute('d')] });
          continue;
        }
      }
      for (const e of [el, ...el.querySelectorAll('*')]) {
        if (not) break;
        not = kindOf(prefix + 'p', e, el, () => plain(e, e === el));
      }
      const clip = kindOf(prefix + 'c', el, el, () => {
        const cs = getComputedStyle(el);
        return cs.overflowX !== 'visible' || cs.overflowY !== 'visible';
      });
      const r = el.getBoundingClientRect();
      const runs = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let t = not ? null : walker.nextNode(); t && !not; t = walker.nextNode()) {
        const st = kindOf(prefix + 's', t.parentElement, el, () => runStyle(t.parentElement));
        if (st.hidden) continue;
        const data = t.data;
        const range = document.createRange();
        range.selectNodeContents(t);
        const rects = [...range.getClientRects()].filter((q) => q.width > 0);
        if (/^\\s*$/.test(data)) {
          if (rects.length) not = 'a space between elements';
          continue;
        }
        if (!st.pre && /^\\s|\\s$|\\s\\s|[\\t\\n\\r]/.test(data)) { not = 'collapsed white space'; continue; }
        if (!st.color) { not = 'a colour with alpha'; continue; }
        let si = styleIndex.get(st);
        if (si === undefined) {
          si = styles.length;
          styleIndex.set(st, si);
          styles.push([st.family, st.weight, st.size, st.spacing, st.color]);
        }
        const lines = [];
        for (const q of rects) lines.push(q.left - o.left, q.top - o.top, q.width);
        runs.push(data, si, lines);
      }
      boxes.push(not ? not : [clip ? [r.left - o.left, r.top - o.top, r.width, r.height] : 0, runs]);
    }
    pages.push(boxes);
  });
  return { styles, pages };
})`;

/**
 * What TEXT_RUNS answers: styles [family, weight, size, spacing, colour]; per page, per box, why not, or
 * [clip or 0, runs: text, style, lines flat], or a QR code {qr: [x, y, width, height, modules, path]}.
 */
interface RawText {
  styles: [string, number, number, number, [number, number, number]][];
  pages: (
    | string
    | [[number, number, number, number] | 0, (string | number | number[])[]]
    | { qr: [number, number, number, number, number, string] }
  )[][];
}

/** TEXT_RUNS' answer as each page's PageText. */
export function pageTexts(answer: unknown): PageText[] {
  const { styles, pages } = answer as RawText;
  return pages.map((boxes) => ({
    boxes: boxes.map((box) => {
      if (typeof box === 'string') return { not: box };
      if (!Array.isArray(box)) {
        const [x, y, width, height, modules, path] = box.qr;
        return { qr: { rect: [x, y, width, height], modules, path } };
      }
      const [clip, flat] = box;
      const runs: TextRun[] = [];
      for (let i = 0; i < flat.length; i += 3) {
        const [family, weight, size, spacing, color] = styles[flat[i + 1] as number] as RawText['styles'][number];
        const l = flat[i + 2] as number[];
        const lines: [number, number, number][] = [];
        for (let k = 0; k < l.length; k += 3) lines.push([l[k] as number, l[k + 1] as number, l[k + 2] as number]);
        runs.push({ text: flat[i] as string, family, weight, size, spacing, color, lines });
      }
      return { clip: clip === 0 ? null : clip, runs };
    }),
  }));
}
