// What is drawn over the preview: trim, bleed and safe-area lines, the mm grid and rulers, and the boxes
// fitting changed, with what it did (also listed in the fitting panel).
import { $, state } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
export const RULER = 20;

export function overlay(l, fitting, w, h) {
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

export function rulerCanvases(l, scale) {
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

export function showFitting(items) {
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
