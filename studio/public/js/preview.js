// The preview: asks the engine for the pages shown (POST /api/proof) at a resolution fit for the zoom, and
// places them with the guides over them (guides.js) and the golden beside them (golden.js).
import { $, getJson, setStatus, state } from './state.js';
import { addGolden, goldenMode } from './golden.js';
import { RULER, overlay, rulerCanvases, showFitting } from './guides.js';
import { showFieldErrors, showProblems } from './problems.js';

const CSS_PX_PER_MM = 96 / 25.4;

function pagesShown() {
  const l = state.layout;
  if (!l) return [];
  const sides = state.side === -1 ? l.sides.map((_, i) => i) : [state.side];
  return sides.map((s) => s + 1);
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

export async function refresh(why) {
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

export function draw() {
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
