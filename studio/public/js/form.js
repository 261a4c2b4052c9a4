// The record's form: one row per field, an edit re-renders the preview a moment after typing stops.
import { $, state } from './state.js';
import { refresh } from './preview.js';

export function buildForm() {
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
