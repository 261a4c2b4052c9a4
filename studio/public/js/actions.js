// The header's actions: download the PDF of what is shown, make a new variant of the layout.
import { getJson, setStatus, state } from './state.js';
import { chooseLayout, loadLayouts } from './layouts.js';

export async function downloadPdf() {
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

export async function newVariant() {
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
