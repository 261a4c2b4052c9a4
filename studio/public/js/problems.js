// What is wrong: the layout's problems (GET /api/problems) and the render's, by file, line and column, and
// the record's field errors beside each field of the form.
import { $, getJson, state } from './state.js';

export async function checkProblems() {
  const l = state.layout;
  const id = l?.id ?? $('layout').value;
  if (!id) return;
  const { res, body } = await getJson(`/api/problems?layout=${encodeURIComponent(id)}`);
  state.problems = res.ok ? body.problems : [{ file: '', line: 0, column: 0, message: body.title ?? `HTTP ${res.status}` }];
  showProblems();
}

export function showProblems() {
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

export function showFieldErrors() {
  for (const row of $('record-form').children) {
    const message = state.fieldErrors[row.dataset.field];
    row.classList.toggle('invalid', Boolean(message));
    row.querySelector('.error').textContent = message ?? '';
  }
}
