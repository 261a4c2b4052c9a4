/**
 * A page printed as two layers (print once, docs/spec/interfaces.md): the static layer, everything that
 * does not depend on the record (the title, the labels, every rule and frame, the seal, the insurer's
 * name), printed once per layout side and variant and kept as a form that every page of the file draws;
 * and the variable layer, only the record's boxes, printed for every page. The in-page scripts here split
 * a laid-out chunk document into the two, by hiding (visibility, which keeps every box's room) what a
 * layer does not hold: nothing is moved or copied, so each layer draws its part exactly as the page whole
 * would.
 *
 * (The variable layer was first made of copies of the boxes, placed absolutely and styled from their
 * computed values. bench --records 2000 --profile, one run after the other on the same busy machine, ms a
 * 100-card chunk: copies 386 to make and 637 to print; the pages with the rest hidden 41 and 710. 154
 * against 128 cards/s.)
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
 * Takes the style of STATIC_LAYER or VARIABLE_VISIBLE away, so the document prints whole again (the rules
 * drawn stay: they moved nothing).
 */
export const END_LAYER = `(() => {
  document.getElementById('shikaku-layer')?.remove();
  document.body.removeAttribute('data-part');
  for (const sheet of document.querySelectorAll('.sheet[data-layer]')) sheet.removeAttribute('data-layer');
})()`;

/** Rules the static layer draws: those of every element that is not inside a record box, on the pages printed. */
export const STATIC_RULES = `(el) => el.closest('.sheet[data-layer=static]') !== null && !el.parentElement?.closest('${VAR_SELECTOR}')`;

/** Rules the variable layer draws: those of elements inside a record box (a carrier's list of members). */
export const VARIABLE_RULES = `(el) => el.parentElement?.closest('${VAR_SELECTOR}') != null`;

/**
 * The table cells and record boxes whose CSS borders the variable layer takes away (without drawing): the
 * static layer drew them as rules (STATIC_RULES), and taking a collapsed table's cell borders away lays it
 * out again, which moves the record's boxes in it by half a rule. Run before VARIABLE_RULES.
 */
export const VARIABLE_LAYOUT = `(el) => !el.parentElement?.closest('${VAR_SELECTOR}') && (el.matches('${VAR_SELECTOR}') || getComputedStyle(el).display === 'table-cell')`;

/**
 * Makes the document print as the variable layer of its pages, as it stands: everything but the record's
 * boxes (and the rules drawn for what is inside them, VARIABLE_RULES) is hidden, keeping its room, and the
 * pages are not white (the static layer under them is). Each box keeps the visibility it has now. Run
 * after drawRules(VARIABLE_LAYOUT, false) and drawRules(VARIABLE_RULES, true, 'data-layer-rules').
 */
export const VARIABLE_VISIBLE = `(() => {
  const VAR = '${VAR_SELECTOR}';
  const boxes = [...document.querySelectorAll(VAR)].filter((el) => !el.parentElement.closest(VAR));
  const shown = boxes.map((el) => getComputedStyle(el).visibility);
  boxes.forEach((el, i) => el.style.setProperty('visibility', shown[i], 'important'));
  const style = document.createElement('style');
  style.id = 'shikaku-layer';
  style.textContent = '.sheet{background:transparent!important}' +
    '.sheet *:not(' + VAR + ', :is(' + VAR + ') *, svg[data-layer-rules], svg[data-layer-rules] *){visibility:hidden!important}';
  document.head.appendChild(style);
  return boxes.length;
})()`;
