/**
 * Rules (borders) printed at the width and place a layout declares. Chromium snaps every CSS border to
 * whole CSS pixels when it lays a page out (0.1–0.4 mm all print 0.265 mm) and paints it at pixel-snapped
 * positions, so a layout's CSS borders cannot be exact. This pass, run in the page before printing,
 * takes the CSS borders away (padding takes their place, so nothing moves) and draws each one instead as
 * a filled rectangle in one SVG layer per page: SVG geometry is not snapped, so the PDF gets the declared
 * width at the position the layout computed (to 1/64 px), and nothing invisible is left behind (a
 * transparent border would still be drawn, as a fill with alpha 0, which PDF/X-1a forbids).
 *
 * The declared width is read from the layout's own stylesheet: for every rule that sets a border width,
 * the engine copied the same value into a registered, non-inherited custom property (--rule-top …,
 * engine/template/rule-widths.ts), whose computed value the cascade resolves exactly as it does the
 * border, but without snapping.
 *
 * What is drawn: solid borders of boxes without rounded corners. In a table with collapsed borders a
 * rule is centred on the line between cells, as CSS draws it (the table's own border is not supported:
 * give it to the cells); elsewhere it lies inside the border box.
 * Other borders (dashed, dotted, rounded) are left to CSS; the layouts draw their dashed cut line as SVG.
 * `keep`, an in-page function of an element, picks the elements whose rules are drawn (a layer's: layers.ts);
 * with `draw` false their CSS borders are only taken away (steps 1 and 2), laying the page out as it prints;
 * `mark` names an attribute the layers drawn get.
 */
export function drawRules(keep = '(el) => true', draw = true, mark = ''): string {
  return `(() => {
  const keep = ${keep};
  const SIDES = ['top', 'right', 'bottom', 'left'];
  const cap = (s) => s[0].toUpperCase() + s.slice(1);
  // Only elements a rule with a border width selects can have a rule (engine/template/rule-widths.ts).
  const meta = document.querySelector('meta[name="shikaku-rule-selectors"]');
  const selectors = meta ? JSON.parse(meta.getAttribute('content')) : [];
  const candidates = new Set();
  for (const selector of selectors) {
    try { for (const el of document.querySelectorAll(selector)) if (keep(el)) candidates.add(el); } catch {} // a selector the page cannot query draws nothing
  }
  const SVG = 'http://www.w3.org/2000/svg';
  // Reads and changes are done in phases: a change between reads would make every read lay out again.
  // 1. Read every rule: its element, side, declared width and colour.
  const found = [];
  const tables = new Set();
  const origins = new Map();
  for (const el of candidates) {
    const sheet = el.closest('.sheet');
    if (!sheet || el.closest('svg')) continue;
    const cs = getComputedStyle(el);
    if (cs.borderTopLeftRadius !== '0px' || cs.borderTopRightRadius !== '0px' || cs.borderBottomLeftRadius !== '0px' || cs.borderBottomRightRadius !== '0px') continue;
    const table = cs.display === 'table-cell' ? el.closest('table') : null;
    const collapsed = table !== null && getComputedStyle(table).borderCollapse === 'collapse';
    for (const side of SIDES) {
      const S = cap(side);
      if (cs['border' + S + 'Style'] !== 'solid') continue;
      const width = parseFloat(cs.getPropertyValue('--rule-' + side));
      const color = cs['border' + S + 'Color'];
      if (!(width > 0) || color === 'rgba(0, 0, 0, 0)' || color === 'transparent') continue;
      // An inline box broken over lines has a box per line: its top and bottom rules on each, its left rule
      // on the first and its right rule on the last. Boxes are measured now, before anything changes; where
      // step 2 lays a collapsed table out again, they are measured after it.
      const boxes = collapsed ? null : cs.display === 'inline' ? [...el.getClientRects()] : [el.getBoundingClientRect()];
      if (!origins.has(sheet)) origins.set(sheet, sheet.getBoundingClientRect());
      found.push({ sheet, el, side, width, color, collapsed, boxes, inline: cs.display === 'inline', snapped: parseFloat(cs['border' + S + 'Width']), padding: parseFloat(cs['padding' + S]) });
      if (collapsed) tables.add(table);
    }
  }
  // 2. Take the CSS borders away. A box keeps its layout: padding takes the place of the border it had.
  //    A table with collapsed borders is laid out with separate, borderless cells that tile its grid, so
  //    each cell's edges are the lines between cells.
  for (const table of tables) {
    table.style.setProperty('border-collapse', 'separate', 'important');
    table.style.setProperty('border-spacing', '0', 'important');
  }
  for (const f of found) {
    f.el.style.setProperty('border-' + f.side + '-style', 'none', 'important');
    if (!f.collapsed) f.el.style.setProperty('padding-' + f.side, (f.padding + f.snapped) + 'px', 'important');
  }
  if (!${draw}) return 0;
  // 3. Draw each rule: inside its box, or centred on a cell's edge (measured now: the cells were laid out again).
  const layers = new Map();
  let drawn = 0;
  for (const f of found) {
    let layer = layers.get(f.sheet);
    if (!layer) {
      const origin = tables.size === 0 ? origins.get(f.sheet) : f.sheet.getBoundingClientRect();
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('class', 'rules-layer');
      if (${JSON.stringify(mark)}) svg.setAttribute(${JSON.stringify(mark)}, '');
      svg.setAttribute('aria-hidden', 'true');
      svg.setAttribute('viewBox', '0 0 ' + origin.width + ' ' + origin.height);
      svg.setAttribute('style', 'position:absolute;left:0;top:0;width:' + origin.width + 'px;height:' + origin.height + 'px;overflow:visible;pointer-events:none');
      layer = { origin, svg, seen: new Set() };
      layers.set(f.sheet, layer);
    }
    // A table laid out again may move what follows it: then every box is measured anew.
    const boxes = tables.size === 0 && f.boxes ? f.boxes : f.inline ? [...f.el.getClientRects()] : [f.el.getBoundingClientRect()];
    const pick = f.side === 'left' ? boxes.slice(0, 1) : f.side === 'right' ? boxes.slice(-1) : boxes;
    for (const b of pick) drawn += draw(layer, f, b);
  }
  function draw(layer, f, b) {
    const x0 = b.left - layer.origin.left, y0 = b.top - layer.origin.top, x1 = b.right - layer.origin.left, y1 = b.bottom - layer.origin.top;
    const w = f.width, h = f.collapsed ? w / 2 : 0;
    const box = {
      top: [x0 - h, y0 - h, x1 - x0 + 2 * h, w],
      bottom: [x0 - h, f.collapsed ? y1 - h : y1 - w, x1 - x0 + 2 * h, w],
      left: [x0 - h, y0 - h, w, y1 - y0 + 2 * h],
      right: [f.collapsed ? x1 - h : x1 - w, y0 - h, w, y1 - y0 + 2 * h],
    }[f.side];
    const key = box.map((v) => v.toFixed(3)).join(',') + f.color;
    if (layer.seen.has(key)) return 0; // a line shared by two cells is drawn once
    layer.seen.add(key);
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', box[0]); r.setAttribute('y', box[1]); r.setAttribute('width', box[2]); r.setAttribute('height', box[3]);
    r.setAttribute('fill', f.color);
    layer.svg.appendChild(r);
    return 1;
  }
  // 4. Put the layers on their pages, above everything else.
  for (const [sheet, layer] of layers) sheet.appendChild(layer.svg);
  return drawn;
})()`;
}

/** Every rule of the document. */
export const DRAW_RULES = drawRules();
