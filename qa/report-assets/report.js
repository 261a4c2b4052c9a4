// The proof diff and golden report's pages: views, zoom, filters and keys. No request leaves the folder.
(() => {
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const link = (rel) => document.querySelector(`a[rel="${rel}"]`);
  const go = (rel) => {
    const a = link(rel);
    if (a) location.href = a.href;
  };

  // ---- one record's page --------------------------------------------------------------------------
  for (const box of $$('[data-box]')) {
    const [left, top, width, height] = box.dataset.box.split(',');
    Object.assign(box.style, { left: `${left}%`, top: `${top}%`, width: `${width}%`, height: `${height}%` });
  }
  const views = $$('.view');
  const MODES = ['side', 'slider', 'blend', 'flicker', 'diff'];
  let timer = 0;
  const apply = (view) => {
    const mode = MODES.find((m) => view.classList.contains(`mode-${m}`));
    const value = Number(view.querySelector('input[type=range]')?.value ?? 50);
    const cand = view.querySelector('.cand');
    if (!cand) return;
    cand.style.clipPath = mode === 'slider' ? `inset(0 0 0 ${value}%)` : '';
    cand.style.opacity = mode === 'blend' ? String(value / 100) : '';
    for (const b of $$('[data-mode]', view)) b.classList.toggle('on', b.dataset.mode === mode);
  };
  const setMode = (view, mode) => {
    if (!view.querySelector('.cand') || !view.querySelector('.ref')) return;
    for (const m of MODES) view.classList.remove(`mode-${m}`);
    view.classList.add(`mode-${mode}`);
    apply(view);
  };
  const flicker = () => {
    for (const v of views) if (v.classList.contains('mode-flicker')) v.querySelector('.cand')?.classList.toggle('off');
  };
  for (const view of views) {
    for (const b of $$('[data-mode]', view)) b.addEventListener('click', () => setMode(view, b.dataset.mode));
    view.querySelector('input[type=range]')?.addEventListener('input', () => apply(view));
    apply(view);
  }
  if (views.length) timer = setInterval(flicker, 500);

  // Zoom: the stage grows four times inside its frame, which scrolls to the region.
  let zoomed = -1;
  const zoomTo = (i) => {
    for (const b of $$('.box.focus')) b.classList.remove('focus');
    const box = document.querySelector(`.box[data-change="${i}"]`);
    for (const v of views) v.querySelector('.stage').style.width = '';
    if (!box) return;
    const view = box.closest('.view');
    if (view.classList.contains('mode-side')) setMode(view, 'flicker');
    const stage = view.querySelector('.stage');
    stage.style.width = '400%';
    const target = view.querySelector(`.cand .box[data-change="${i}"], .box[data-change="${i}"]`);
    for (const b of $$(`.box[data-change="${i}"]`, view)) b.classList.add('focus');
    const frame = view.querySelector('.frame');
    const fr = frame.getBoundingClientRect();
    const r = target.getBoundingClientRect();
    frame.scrollLeft += r.left + r.width / 2 - (fr.left + fr.width / 2);
    frame.scrollTop += r.top + r.height / 2 - (fr.top + fr.height / 2);
    view.scrollIntoView({ block: 'nearest' });
  };
  const boxes = () => new Set($$('.box[data-change]').map((b) => Number(b.dataset.change))).size;
  for (const b of $$('[data-zoom]')) b.addEventListener('click', () => zoomTo((zoomed = Number(b.dataset.zoom))));

  // ---- the list ------------------------------------------------------------------------------------
  const rows = $$('tr.entry');
  const filters = $$('.filters input');
  const hidden = () => new Set(filters.filter((f) => !f.checked).map((f) => f.name));
  const carry = () => {
    const hide = [...hidden()].join(',');
    for (const a of $$('nav a')) a.href = a.href.replace(/#.*$/, '') + (hide ? `#hide=${hide}` : '');
  };
  const filter = () => {
    const h = hidden();
    for (const r of rows) r.classList.toggle('hidden', h.has(r.dataset.status));
    carry();
  };
  const fromHash = /hide=([\w,]*)/.exec(location.hash)?.[1]?.split(',') ?? [];
  for (const f of filters) {
    f.checked = !fromHash.includes(f.name);
    f.addEventListener('change', filter);
  }
  if (filters.length) filter();
  let current = -1;
  const move = (step) => {
    const visible = rows.filter((r) => !r.classList.contains('hidden'));
    if (!visible.length) return;
    const at = visible.indexOf(rows[current]);
    const next = visible[Math.min(visible.length - 1, Math.max(0, at + step))];
    rows[current]?.classList.remove('current');
    current = rows.indexOf(next);
    next.classList.add('current');
    next.scrollIntoView({ block: 'nearest' });
  };

  // ---- keys ------------------------------------------------------------------------------------------
  document.addEventListener('keydown', (e) => {
    if (
      e.altKey ||
      e.ctrlKey ||
      e.metaKey ||
      (e.target instanceof HTMLInputElement && e.target.type !== 'range' && e.target.type !== 'checkbox')
    )
      return;
    const k = e.key;
    if (rows.length) {
      if (k === 'j' || k === 'ArrowDown') move(1);
      else if (k === 'k' || k === 'ArrowUp') move(-1);
      else if (k === 'Enter' && rows[current]) location.href = rows[current].querySelector('a').href;
      else if (k === 'n') go('next');
      else if (k === 'p') go('prev');
      else return;
      e.preventDefault();
      return;
    }
    const mode = { 1: 'side', 2: 'slider', 3: 'blend', 4: 'flicker', 5: 'diff' }[k];
    if (mode) for (const v of views) setMode(v, mode);
    else if (k === 'z' && boxes()) zoomTo((zoomed = (zoomed + 1) % boxes()));
    else if (k === '0') zoomTo((zoomed = -1));
    else if (k === '[' || k === ']')
      for (const v of views) {
        const r = v.querySelector('input[type=range]');
        if (r) r.value = String(Number(r.value) + (k === ']' ? 10 : -10));
        apply(v);
      }
    else if (k === 'ArrowRight') go('next');
    else if (k === 'ArrowLeft') go('prev');
    else if (k === 'Escape') go('index');
    else return;
    e.preventDefault();
  });
  addEventListener('pagehide', () => clearInterval(timer));
})();
