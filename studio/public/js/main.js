// The studio page. Every picture on it comes from the engine (POST /api/proof: a page of the engine's own
// PDF, rasterized as `render --format png` does); these modules only place it, draw the guides over it and
// edit the record. No build step and no network: plain browser JavaScript modules served by the studio.
// This one wires the controls, follows the server's change events (GET /api/events) and starts the page.
import { $, setStatus, state } from './state.js';
import { chooseLayout, chooseSource, fillRecordPicker, loadLayouts } from './layouts.js';
import { draw, refresh } from './preview.js';
import { checkProblems } from './problems.js';
import { saveInsurer } from './insurer.js';
import { downloadPdf, newVariant } from './actions.js';

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
