// The studio page. Every picture on it comes from the engine (POST /api/proof: a page of the engine's own
// PDF, rasterized as `render --format png` does); this script only places it, draws the guides over it and
// edits the record. No build step and no network: plain browser JavaScript served by the studio.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const CSS_PX_PER_MM = 96 / 25.4;
const RULER = 20;

const state = {
  layouts: [],
  broken: [],
  fields: {},
  layout: undefined,
  /** { kind: 'sample' | 'golden', index | id } */
  source: undefined,
  record: {},
  side: 0, // index of the side, or -1 for every side
  results: new Map(), // page → { png, fitting, ms }
  fieldErrors: {},
  problems: [],
  renderProblems: [],
  seq: 0,
  stale: false,
};

async function getJson(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  return { res, body };
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

// ---------------------------------------------------------------------------------------------- layouts

async function loadLayouts() {
  const { body } = await getJson('/api/layouts');
  state.layouts = body.layouts;
  state.broken = body.broken;
  state.fields = body.fields;
  const select = $('layout');
  const current = state.layout?.id ?? new URLSearchParams(location.search).get('layout');
  select.replaceChildren(
    ...state.layouts.map((l) => new Option(`${l.id}: ${l.name}`, l.id)),
    ...state.broken.map((b) => new Option(`${b.id} (broken)`, b.id)),
  );
  const keep = [...select.options].some((o) => o.value === current) ? current : state.layouts[0]?.id;
  select.value = keep ?? '';
  state.layout = state.layouts.find((l) => l.id === keep);
}

function chooseLayout(id) {
  state.layout = state.layouts.find((l) => l.id === id);
  state.side = 0;
  state.results.clear();
  fillRecordPicker();
  fillSides();
  chooseSource(state.layout?.samples.length ? { kind: 'sample', index: 0 } : undefined);
  void checkProblems();
}

function fillRecordPicker() {
  const select = $('record');
  const l = state.layout;
  if (!l) {
    select.replaceChildren();
    return;
  }
  const label = (r, i) => `${r?.name ?? '(no name)'} ${r?.number ?? ''}`.trim() || `record ${i}`;
  const samples = l.samples.map((r, i) => new Option(`sample ${i}: ${label(r, i)}`, `sample:${i}`));
  const goldens = l.goldens.map((g) => new Option(`golden: ${g.id}`, `golden:${g.id}`));
  const groups = [];
  if (samples.length) groups.push(Object.assign(document.createElement('optgroup'), { label: 'samples' }));
  if (goldens.length) groups.push(Object.assign(document.createElement('optgroup'), { label: 'golden cases' }));
  if (samples.length) groups[0].append(...samples);
  if (goldens.length) groups[groups.length - 1].append(...goldens);
  select.replaceChildren(...groups);
}

function chooseSource(source) {
  state.source = source;
  const l = state.layout;
  if (!l || !source) {
    state.record = {};
  } else if (source.kind === 'sample') {
    state.record = structuredClone(l.samples[source.index] ?? {});
    $('record').value = `sample:${source.index}`;
  } else {
    state.record = structuredClone(l.goldens.find((g) => g.id === source.id)?.records[0] ?? {});
    $('record').value = `golden:${source.id}`;
  }
  const golden = source?.kind === 'golden';
  $('golden-mode').disabled = !golden;
  if (!golden) $('golden-mode').value = 'off';
  $('golden-opacity').disabled = !golden || $('golden-mode').value !== 'onion';
  state.fieldErrors = {};
  buildForm();
  void refresh();
  void showInsurer();
}

function fillSides() {
  const box = $('sides');
  const l = state.layout;
  if (!l) {
    box.replaceChildren();
    return;
  }
  const buttons = l.sides.map((id, i) => sideButton(l.sideNames[i] ?? id, i));
  if (l.sides.length > 1) buttons.push(sideButton('both', -1));
  box.replaceChildren(...buttons);
}

function sideButton(text, index) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text.replace(/（.*$/, '');
  b.title = text;
  b.dataset.side = String(index);
  b.setAttribute('aria-pressed', String(state.side === index));
  b.onclick = () => {
    state.side = index;
    for (const other of $('sides').children) other.setAttribute('aria-pressed', String(other === b));
    void refresh();
  };
  return b;
}

// ------------------------------------------------------------------------------------------------- form

function buildForm() {
  const form = $('record-form');
  const l = state.layout;
  form.replaceChildren();
  if (!l) return;
  const required = new Set(l.required);
  const names = Object.keys(state.fields).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  for (const name of names) form.append(fieldRow(name, state.fields[name], required.has(name)));
  $('record-note').textContent = state.source ? ($('record').selectedOptions[0]?.textContent ?? '') : '';
}

function fieldRow(name, info, required) {
  const row = document.createElement('div');
  row.className = 'field';
  row.dataset.field = name;
  const label = document.createElement('label');
  label.htmlFor = `f-${name}`;
  label.innerHTML = '';
  label.append(info.label);
  if (required) label.append(Object.assign(document.createElement('span'), { className: 'req', textContent: ' *' }));
  label.append(Object.assign(document.createElement('span'), { className: 'name', textContent: name }));
  row.append(label);
  const value = state.record[name];
  let input;
  if (info.kind === 'boolean') {
    input = Object.assign(document.createElement('input'), { type: 'checkbox', checked: value === true });
    input.onchange = () => edit(name, input.checked ? true : name in state.record ? false : undefined);
  } else {
    const long = name === 'address' || name === 'remarks';
    input = document.createElement(long ? 'textarea' : 'input');
    if (!long) input.type = 'text';
    input.value = value === undefined || value === null ? '' : String(value);
    input.placeholder = info.expected;
    input.oninput = () => {
      const text = input.value;
      if (text === '') edit(name, info.kind === 'nullable-string' && value === null ? null : undefined);
      else edit(name, info.kind === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text);
    };
  }
  input.id = `f-${name}`;
  row.append(input);
  const error = Object.assign(document.createElement('div'), { className: 'error' });
  row.append(error);
  return row;
}

let editTimer;
function edit(name, value) {
  if (value === undefined) delete state.record[name];
  else state.record[name] = value;
  clearTimeout(editTimer);
  editTimer = setTimeout(() => void refresh(), 250);
}

function showFieldErrors() {
  for (const row of $('record-form').children) {
    const message = state.fieldErrors[row.dataset.field];
    row.classList.toggle('invalid', Boolean(message));
    row.querySelector('.error').textContent = message ?? '';
  }
}

// ---------------------------------------------------------------------------------------------- preview

function pagesShown() {
  const l = state.layout;
  if (!l) return [];
  const sides = state.side === -1 ? l.sides.map((_, i) => i) : [state.side];
  return sides.map((s) => s + 1);
}

function goldenMode() {
  return state.source?.kind === 'golden' ? $('golden-mode').value : 'off';
}

/** Millimetre → CSS pixels for the zoom chosen. */
function pxPerMm() {
  const l = state.layout;
  const z = $('zoom').value;
  if (z !== 'fit') return CSS_PX_PER_MM * Number(z);
  const stage = $('stage');
  const pages = pagesShown().length || 1;
  const rulers = $('show-rulers').checked ? RULER : 0;
  const w = (stage.clientWidth - 80 - rulers) / l.widthMm;
  const h = (stage.clientHeight - 80 - pages * (rulers + 30)) / (l.heightMm * pages);
  return Math.max(0.5, Math.min(w, h));
}

/** The resolution to ask for: enough for the zoom on this screen; the golden's own for a golden overlay. */
function dpiWanted() {
  const l = state.layout;
  if (goldenMode() !== 'off') return l.proofDpi;
  const needed = (pxPerMm() * 25.4 * (window.devicePixelRatio || 1)) / 1;
  // a little under the screen's own resolution is sharp enough, and twice as fast to print as the next step up
  return [150, 300, 600].find((d) => d >= needed * 0.75) ?? 600;
}

async function refresh(why) {
  const l = state.layout;
  if (!l) return;
  const seq = ++state.seq;
  const dpi = dpiWanted();
  document.body.dataset.shown = ''; // what the pictures show, once they do (for people's scripts and tests)
  const pages = pagesShown();
  setStatus('rendering…');
  const t0 = performance.now();
  const answers = await Promise.all(
    pages.map(async (page) => {
      const { res, body } = await getJson(`/api/proof?layout=${encodeURIComponent(l.id)}&page=${page}&dpi=${dpi}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(state.record),
      });
      return { page, res, body };
    }),
  );
  if (seq !== state.seq) return; // a newer request is on its way
  const wall = Math.round(performance.now() - t0);
  state.fieldErrors = {};
  state.renderProblems = [];
  let failed = false;
  for (const { page, res, body } of answers) {
    if (res.ok) {
      state.results.set(page, { ...body, dpi });
      continue;
    }
    failed = true;
    if (body.problems) state.renderProblems = body.problems;
    else if (body.errors) {
      // beside each field in the form, and in the problems list (a glyph no pinned font has, with its code point)
      for (const e of body.errors) state.fieldErrors[e.path] = `${e.message}`;
      state.renderProblems = body.errors.map((e) => ({ file: '', line: 0, column: 0, message: `${e.label} (${e.path}): ${e.message}` }));
    } else state.renderProblems = [{ file: '', line: 0, column: 0, message: body.title ?? `HTTP ${res.status}` }];
  }
  state.stale = failed;
  showFieldErrors();
  showProblems();
  draw();
  const engineMs = Math.max(...answers.filter((a) => a.res.ok).map((a) => a.body.ms), 0);
  if (!failed) document.body.dataset.shown = `${l.id} ${$('record').value} ${pages.join(',')}`;
  const cached = answers.every((a) => a.res.ok && a.body.cached);
  const took = cached
    ? `rendered in ${engineMs} ms (when saved; shown ${wall} ms after asking)`
    : `rendered in ${engineMs} ms (${wall} ms with the round trip)`;
  if (failed) setStatus('not rendered: see the problems; the last good preview is shown dimmed', true);
  else setStatus(`${why ? `${why}: ` : ''}${took}, ${dpi} dpi`);
}

function draw() {
  const l = state.layout;
  const box = $('pages');
  box.replaceChildren();
  if (!l) return;
  const scale = pxPerMm();
  const rulers = $('show-rulers').checked;
  const fittingItems = [];
  for (const page of pagesShown()) {
    const result = state.results.get(page);
    const side = l.sides[(page - 1) % l.sides.length];
    const holder = document.createElement('div');
    holder.className = 'page';
    holder.dataset.page = String(page);
    const caption = Object.assign(document.createElement('div'), { className: 'caption' });
    caption.textContent = `page ${page}: ${l.sideNames[(page - 1) % l.sides.length]} — ${l.widthMm} × ${l.heightMm} mm`;
    holder.append(caption);
    const w = l.widthMm * scale;
    const h = l.heightMm * scale;
    const frame = document.createElement('div');
    frame.style.position = 'relative';
    frame.style.paddingLeft = frame.style.paddingTop = rulers ? `${RULER}px` : '0';
    const sheet = document.createElement('div');
    sheet.className = 'sheet-view';
    sheet.classList.toggle('stale', state.stale);
    sheet.style.width = `${w}px`;
    sheet.style.height = `${h}px`;
    if (result) {
      const img = new Image();
      img.className = 'proof';
      img.alt = `page ${page} as printed`;
      img.src = result.png;
      sheet.append(img);
      addGolden(sheet, page, img);
      sheet.append(
        overlay(
          l,
          result.fitting.filter((f) => f.side === side),
          w,
          h,
        ),
      );
      for (const f of result.fitting) if (f.side === side && (f.fitted || !f.fits)) fittingItems.push(f);
    }
    frame.append(sheet);
    if (rulers) frame.append(...rulerCanvases(l, scale));
    holder.append(frame);
    box.append(holder);
  }
  showFitting(fittingItems);
}

function overlay(l, fitting, w, h) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.classList.add('overlay');
  svg.setAttribute('viewBox', `0 0 ${l.widthMm} ${l.heightMm}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.style.left = '0';
  svg.style.top = '0';
  const rect = (x, y, rw, rh, cls) => {
    const r = document.createElementNS(SVG, 'rect');
    Object.entries({ x, y, width: rw, height: rh }).forEach(([k, v]) => r.setAttribute(k, String(v)));
    r.setAttribute('class', cls);
    r.setAttribute('vector-effect', 'non-scaling-stroke');
    return r;
  };
  if ($('show-grid').checked) svg.append(grid(l));
  if ($('show-trim').checked) svg.append(rect(0, 0, l.widthMm, l.heightMm, 'trim-line'));
  if ($('show-bleed').checked) {
    const b = l.bleedMm || 3;
    svg.append(rect(-b, -b, l.widthMm + 2 * b, l.heightMm + 2 * b, 'bleed-line'));
  }
  if ($('show-safe').checked) {
    const s = l.safeMm;
    svg.append(rect(s, s, l.widthMm - 2 * s, l.heightMm - 2 * s, 'safe-line'));
  }
  if ($('show-fitting').checked) {
    for (const f of fitting) {
      const [x, y, bw, bh] = f.boxMm;
      const cls = !f.fits ? 'fit-box over' : f.fitted ? 'fit-box' : 'fit-box plain';
      const r = rect(x, y, bw, bh, cls);
      r.dataset.field = f.field;
      svg.append(r);
      if (f.fitted || !f.fits) {
        const t = document.createElementNS(SVG, 'text');
        t.setAttribute('x', String(x));
        t.setAttribute('y', String(Math.max(1.3, y - 0.25)));
        t.setAttribute('class', f.fits ? 'fit-label' : 'fit-label over');
        t.textContent = fittingText(f);
        svg.append(t);
      }
    }
  }
  return svg;
}

function grid(l) {
  const g = document.createElementNS(SVG, 'g');
  for (let x = 0; x <= l.widthMm; x += 1) g.append(line(x, 0, x, l.heightMm, x % 5 === 0));
  for (let y = 0; y <= l.heightMm; y += 1) g.append(line(0, y, l.widthMm, y, y % 5 === 0));
  return g;
}

function line(x1, y1, x2, y2, strong) {
  const el = document.createElementNS(SVG, 'line');
  Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => el.setAttribute(k, String(v)));
  el.setAttribute('stroke', strong ? 'rgba(10,132,255,.35)' : 'rgba(10,132,255,.14)');
  el.setAttribute('vector-effect', 'non-scaling-stroke');
  return el;
}

function rulerCanvases(l, scale) {
  const ratio = window.devicePixelRatio || 1;
  const make = (lengthMm, horizontal) => {
    const c = document.createElement('canvas');
    c.className = 'ruler';
    const len = lengthMm * scale;
    const [cw, ch] = horizontal ? [len, RULER] : [RULER, len];
    c.width = cw * ratio;
    c.height = ch * ratio;
    c.style.width = `${cw}px`;
    c.style.height = `${ch}px`;
    c.style.left = horizontal ? `${RULER}px` : '0';
    c.style.top = horizontal ? '0' : `${RULER}px`;
    const g = c.getContext('2d');
    g.scale(ratio, ratio);
    g.strokeStyle = '#666';
    g.fillStyle = '#333';
    g.font = '9px system-ui, sans-serif';
    const step = scale < 2 ? 5 : 1;
    for (let mm = 0; mm <= lengthMm + 1e-6; mm += step) {
      const at = mm * scale + 0.5;
      const tick = mm % 10 === 0 ? 10 : mm % 5 === 0 ? 6 : 3;
      g.beginPath();
      if (horizontal) {
        g.moveTo(at, RULER);
        g.lineTo(at, RULER - tick);
      } else {
        g.moveTo(RULER, at);
        g.lineTo(RULER - tick, at);
      }
      g.stroke();
      if (mm % 10 === 0) {
        if (horizontal) g.fillText(String(mm), at + 2, 9);
        else g.fillText(String(mm), 1, at + 10);
      }
    }
    return c;
  };
  return [make(l.widthMm, true), make(l.heightMm, false)];
}

function fittingText(f) {
  const label = state.fields[f.field]?.label ?? f.field;
  if (!f.fits) return `${label} (${f.field}): does not fit`;
  const parts = [];
  if (f.scale < 1) parts.push(`condensed to ${Math.round(f.scale * 100)} %`);
  if (f.pt < f.basePt - 0.01) parts.push(`shrunk to ${f.pt} pt from ${f.basePt} pt`);
  if (f.lines > 1) parts.push(`wrapped to ${f.lines} lines`);
  return `${label} (${f.field}): ${parts.join(', ') || 'fitted'}`;
}

function showFitting(items) {
  $('fitting-panel').hidden = items.length === 0;
  $('fitting-list').replaceChildren(
    ...items.map((f) => {
      const li = document.createElement('li');
      li.textContent = fittingText(f);
      li.dataset.field = f.field;
      if (!f.fits) li.className = 'over';
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------- golden

function addGolden(sheet, page, proofImg) {
  const mode = goldenMode();
  if (mode === 'off') {
    $('golden-count').textContent = '';
    return;
  }
  const src = `/api/golden?layout=${encodeURIComponent(state.layout.id)}&case=${encodeURIComponent(state.source.id)}&page=${page}`;
  const golden = new Image();
  golden.className = 'golden';
  golden.alt = `approved page ${page}`;
  golden.src = src;
  if (mode === 'onion') {
    golden.style.opacity = String(Number($('golden-opacity').value) / 100);
    sheet.append(golden);
    return;
  }
  const canvas = document.createElement('canvas');
  canvas.className = 'difference';
  sheet.append(canvas);
  Promise.all([loaded(golden), loaded(proofImg)]).then(() => {
    const count = difference(canvas, proofImg, golden);
    $('golden-count').textContent = count === undefined ? 'sizes differ' : `${count.toLocaleString()} px differ`;
    $('golden-count').dataset.count = String(count ?? -1);
  });
}

function loaded(img) {
  return img.complete && img.naturalWidth ? Promise.resolve() : new Promise((ok) => img.addEventListener('load', ok, { once: true }));
}

/** Paints where the two images differ (red) over a faint copy of the proof; answers the count of pixels. */
function difference(canvas, a, b) {
  if (a.naturalWidth !== b.naturalWidth || a.naturalHeight !== b.naturalHeight) return undefined;
  const w = a.naturalWidth;
  const h = a.naturalHeight;
  canvas.width = w;
  canvas.height = h;
  const read = (img) => {
    const c = new OffscreenCanvas(w, h);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, w, h).data;
  };
  const pa = read(a);
  const pb = read(b);
  const g = canvas.getContext('2d');
  const out = g.createImageData(w, h);
  let count = 0;
  for (let i = 0; i < pa.length; i += 4) {
    const differs = pa[i] !== pb[i] || pa[i + 1] !== pb[i + 1] || pa[i + 2] !== pb[i + 2] || pa[i + 3] !== pb[i + 3];
    if (differs) {
      count++;
      out.data.set([230, 0, 50, 255], i);
    } else {
      const grey = 255 - (255 - (pa[i] + pa[i + 1] + pa[i + 2]) / 3) * 0.25;
      out.data.set([grey, grey, grey, 255], i);
    }
  }
  g.putImageData(out, 0, 0);
  return count;
}

// -------------------------------------------------------------------------------------------- problems

async function checkProblems() {
  const l = state.layout;
  const id = l?.id ?? $('layout').value;
  if (!id) return;
  const { res, body } = await getJson(`/api/problems?layout=${encodeURIComponent(id)}`);
  state.problems = res.ok ? body.problems : [{ file: '', line: 0, column: 0, message: body.title ?? `HTTP ${res.status}` }];
  showProblems();
}

function showProblems() {
  const seen = new Set();
  const all = [...state.renderProblems, ...state.problems].filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  $('problems').hidden = all.length === 0;
  $('problem-list').replaceChildren(
    ...all.map((p) => {
      const li = document.createElement('li');
      if (p.file)
        li.append(Object.assign(document.createElement('span'), { className: 'where', textContent: `${p.file}:${p.line}:${p.column}` }));
      li.append(p.message);
      return li;
    }),
  );
}

// ------------------------------------------------------------------------------------- insurer profile

/** Shows the profile of the record's insurer (its name, contact and seal print from it). */
async function showInsurer() {
  const number = state.record.insurerNumber;
  $('insurer-error').textContent = '';
  if (typeof number !== 'string') {
    $('insurer-panel').hidden = true;
    return;
  }
  const { res, body } = await getJson(`/api/insurers/${encodeURIComponent(number)}`);
  $('insurer-panel').hidden = false;
  if (!res.ok) {
    $('insurer-file').textContent = '';
    $('insurer-json').value = '';
    $('insurer-error').textContent = body.title ?? `HTTP ${res.status}`;
    return;
  }
  $('insurer-file').textContent = body.file.split('/').slice(-2).join('/');
  $('insurer-json').value = JSON.stringify(body.profile, null, 2);
}

async function saveInsurer() {
  const number = state.record.insurerNumber;
  let profile;
  try {
    profile = JSON.parse($('insurer-json').value);
  } catch (err) {
    $('insurer-error').textContent = `not JSON: ${err.message}`;
    return;
  }
  const { res, body } = await getJson(`/api/insurers/${encodeURIComponent(number)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(profile),
  });
  $('insurer-error').textContent = res.ok ? '' : (body.title ?? `HTTP ${res.status}`);
  if (res.ok) await refresh('profile saved');
}

// --------------------------------------------------------------------------------------------- actions

async function downloadPdf() {
  const l = state.layout;
  const res = await fetch(`/api/pdf?layout=${encodeURIComponent(l.id)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(state.record),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    setStatus(`no PDF: ${body.detail ?? body.title ?? res.status}`, true);
    return;
  }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = `${l.id}-proof.pdf`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function newVariant() {
  const l = state.layout;
  const id = prompt(`new layout id (made from ${l.id}), e.g. ${l.id}-shimane`);
  if (!id) return;
  const extend = confirm(`Make ${id} extend ${l.id} (a few lines that override only what differs)?\nCancel makes a full copy.`);
  const { res, body } = await getJson('/api/layouts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, from: l.id, extend }),
  });
  if (!res.ok) {
    setStatus(body.title ?? `HTTP ${res.status}`, true);
    return;
  }
  state.layout = { id };
  await loadLayouts();
  chooseLayout(id);
  setStatus(`made ${id}: ${body.files.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------- wiring

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('change', async (e) => {
    const change = JSON.parse(e.data);
    const id = state.layout?.id ?? $('layout').value;
    await loadLayouts();
    if (!state.layout && id) {
      // the layout is broken now: keep showing the last good preview, dimmed, with its problems
      state.stale = true;
      draw();
      await checkProblems();
      setStatus(`saved ${change.files.join(', ')}: the layout does not load`, true);
      return;
    }
    if (change.layouts.length === 0 || change.layouts.includes(state.layout.id)) {
      fillRecordPicker();
      if (state.source) $('record').value = state.source.kind === 'sample' ? `sample:${state.source.index}` : `golden:${state.source.id}`;
      await refresh(`saved ${change.files.join(', ')}`);
      await checkProblems();
    }
  });
}

function wire() {
  $('layout').onchange = () => chooseLayout($('layout').value);
  $('record').onchange = () => {
    const [kind, key] = $('record').value.split(':');
    chooseSource(kind === 'sample' ? { kind, index: Number(key) } : { kind, id: key });
  };
  $('zoom').onchange = () => void refresh();
  for (const id of ['show-rulers', 'show-grid', 'show-trim', 'show-bleed', 'show-safe', 'show-fitting']) $(id).onchange = draw;
  $('golden-mode').onchange = () => {
    $('golden-opacity').disabled = $('golden-mode').value !== 'onion';
    void refresh();
  };
  $('golden-opacity').oninput = () => {
    for (const img of document.querySelectorAll('img.golden')) img.style.opacity = String(Number($('golden-opacity').value) / 100);
  };
  $('download-pdf').onclick = () => void downloadPdf();
  $('new-variant').onclick = () => void newVariant();
  $('insurer-save').onclick = () => void saveInsurer();
  window.addEventListener('resize', () => $('zoom').value === 'fit' && draw());
}

(async () => {
  wire();
  await loadLayouts();
  if (state.layout) chooseLayout(state.layout.id);
  else await checkProblems();
  listen();
})();
