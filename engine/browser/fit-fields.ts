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

/**
 * The in-page test of a fixed box whose text is wider or taller than the box (half a pixel of rounding
 * allowed): one text for fitting, the overflow check (tab-pool.ts) and the fitting report.
 */
export const OVERFLOWS = `(el) => el.scrollWidth > el.clientWidth + 0.5 || el.scrollHeight > el.clientHeight + 0.5`;
export const DEFAULT_MIN_PT = 6;

/** The fitting pass as an in-page script (a string: see tab-pool.ts). Answers how many boxes it changed. */
export const FIT_FIELDS = `(() => {
  const MIN_SCALE = ${MIN_SCALE}, STEP = 0.25, PX_PER_PT = 96 / 72;
  const over = ${OVERFLOWS};
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
    let wrapped = false;
    if (!fitted && el.dataset.fit === 'wrap') {
      wrapped = true;
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
    // What fitting did, for the studio's fitting overlay (FITTING_REPORT): nothing prints it.
    const scale = inner.style.transform.startsWith('scaleX(') ? parseFloat(inner.style.transform.slice(7)) : 1;
    const tops = new Set([...inner.getClientRects()].map((r) => Math.round(r.top)));
    el.dataset.fitted = JSON.stringify({
      basePt: base,
      pt: parseFloat(el.style.fontSize),
      scale,
      lines: wrapped ? Math.max(1, tops.size) : 1,
    });
  }
  return changed;
})()`;

/**
 * Every fixed box of the document with where it is on its page (mm from the page's top-left corner) and
 * what fitting did to it: for the studio's fitting overlay. Run after FIT_FIELDS.
 */
export const FITTING_REPORT = `(() => {
  const MM_PER_PX = 25.4 / 96, PX_PER_PT = 96 / 72;
  const over = ${OVERFLOWS};
  return [...document.querySelectorAll('[data-field]')].map((el) => {
    const sheet = el.closest('.sheet');
    const page = sheet.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    const done = el.dataset.fitted ? JSON.parse(el.dataset.fitted) : undefined;
    const pt = parseFloat(getComputedStyle(el).fontSize) / PX_PER_PT;
    return {
      record: Number(sheet.dataset.record),
      side: sheet.dataset.side,
      field: el.dataset.field,
      boxMm: [box.left - page.left, box.top - page.top, box.width, box.height].map((v) => Math.round(v * MM_PER_PX * 100) / 100),
      fitted: done !== undefined,
      basePt: Math.round((done ? done.basePt : pt) * 100) / 100,
      pt: Math.round((done ? done.pt : pt) * 100) / 100,
      scale: Math.round((done ? done.scale : 1) * 1000) / 1000,
      lines: done ? done.lines : 1,
      fits: !over(el),
    };
  });
})()`;

/**
 * Where every fixed box of the document is, without what fitting did: the distinct
 * `side TAB field TAB x,y,width,height` (mm from the page's top-left corner, to 0.1 mm) of a chunk. Boxes
 * are fixed by the layout, so a chunk answers a few dozen lines whatever its size: the field map of the
 * manifest, by which the proof diff names the field a change is in.
 */
export const FIELD_BOXES = `(() => {
  const MM_PER_PX = 25.4 / 96;
  const seen = new Set();
  for (const sheet of document.querySelectorAll('.sheet')) {
    const page = sheet.getBoundingClientRect();
    for (const el of sheet.querySelectorAll('[data-field]')) {
      const box = el.getBoundingClientRect();
      const mm = [box.left - page.left, box.top - page.top, box.width, box.height].map((v) => Math.round(v * MM_PER_PX * 10) / 10);
      seen.add(sheet.dataset.side + '\t' + el.dataset.field + '\t' + mm.join(','));
    }
  }
  return [...seen];
})()`;

/** A fixed box of a printed page and what fitting did to it (FITTING_REPORT). */
export interface FieldFit {
  /** The record's 0-based position in the render. */
  record: number;
  side: string;
  field: string;
  /** x, y, width, height in mm from the page's top-left corner. */
  boxMm: [number, number, number, number];
  /** Whether fitting changed the box (its text did not fit at the layout's size). */
  fitted: boolean;
  /** The size the layout sets, and the size printed, in pt. */
  basePt: number;
  pt: number;
  /** Horizontal compression (長体): 1 when none. */
  scale: number;
  /** Lines the text takes (wrapping boxes only; else 1). */
  lines: number;
  /** False when the text still does not fit: never printed so. */
  fits: boolean;
}
