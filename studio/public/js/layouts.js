// Choosing what to look at: the layout, the record (a sample or a golden case's) and the side.
import { $, getJson, state } from './state.js';
import { buildForm } from './form.js';
import { refresh } from './preview.js';
import { showInsurer } from './insurer.js';
import { checkProblems } from './problems.js';

export async function loadLayouts() {
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

export function chooseLayout(id) {
  state.layout = state.layouts.find((l) => l.id === id);
  state.side = 0;
  state.results.clear();
  fillRecordPicker();
  fillSides();
  chooseSource(state.layout?.samples.length ? { kind: 'sample', index: 0 } : undefined);
  void checkProblems();
}

export function fillRecordPicker() {
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

export function chooseSource(source) {
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
