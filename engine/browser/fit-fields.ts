/**
 * Fitting text into its fixed box, run in the page before printing. For every `data-field` box whose text
 * does not fit, in this order (the rule of the layouts issue):
 *   1. narrow it: horizontal compression (長体) down to MIN_SCALE of its width;
 *   2. then make it smaller, in steps of 0.25 pt, down to the box's floor (`data-min-pt`, default 6 pt),
 *      compressing at each size as far as needed, never past MIN_SCALE;
 *   3. for boxes marked `data-fit="wrap"` (addresses) only: let it wrap onto the box's lines, first only at
 *      spaces (before a building name), then anywhere Japanese line breaking (line-break: strict) allows,
 *      again from the full size down to the floor.
 * Text that still does not fit stays overflowing and is reported by the overflow check: never cut off.
 */
export const MIN_SCALE = 0.7;
export const DEFAULT_MIN_PT = 6;

/** The fitting pass as an in-page script (a string: see tab-pool.ts). Answers how many boxes it changed. */
export const FIT_FIELDS = `(() => {
  const MIN_SCALE = ${MIN_SCALE}, STEP = 0.25, PX_PER_PT = 96 / 72;
  const over = (el) => el.scrollWidth > el.clientWidth + 0.5 || el.scrollHeight > el.clientHeight + 0.5;
  let changed = 0;
  for (const el of document.querySelectorAll('[data-field]')) {
    if (!over(el)) continue;
    changed++;
    const style = getComputedStyle(el);
    const base = parseFloat(style.fontSize) / PX_PER_PT;
    // Never below the 6 pt floor of print practice, whatever a layout asks; a box set smaller keeps its size.
    const floor = Math.min(base, Math.max(${DEFAULT_MIN_PT}, parseFloat(el.dataset.minPt || '${DEFAULT_MIN_PT}')));
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const sizes = [];
    for (let s = base; s >= floor - 1e-6; s -= STEP) sizes.push(s);
    const inner = document.createElement('span');
    while (el.firstChild) inner.appendChild(el.firstChild);
    el.appendChild(inner);
    inner.style.cssText = 'display:inline-block;white-space:nowrap;transform-origin:0 50%';
    el.style.whiteSpace = 'nowrap';
    let fitted = false;
    for (const size of sizes) {
      el.style.fontSize = size + 'pt';
      inner.style.transform = '';
      inner.style.marginRight = '0px';
      const width = inner.getBoundingClientRect().width;
      const k = Math.min(1, room / width);
      if (k < MIN_SCALE) continue;
      // scaleX narrows the glyphs; the negative margin gives the box the narrowed width for layout.
      if (k < 1) {
        inner.style.transform = 'scaleX(' + k + ')';
        inner.style.marginRight = -(width * (1 - k)) + 'px';
      }
      if (!over(el)) { fitted = true; break; }
    }
    if (!fitted && el.dataset.fit === 'wrap') {
      inner.style.cssText = 'display:inline;white-space:normal';
      el.style.whiteSpace = 'normal';
      for (const rule of ['keep-all', 'normal']) {
        el.style.wordBreak = rule;
        for (const size of sizes) {
          el.style.fontSize = size + 'pt';
          if (!over(el)) { fitted = true; break; }
        }
        if (fitted) break;
      }
    }
  }
  return changed;
})()`;
