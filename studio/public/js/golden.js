// The golden overlay: the approved image of a golden case laid over the preview as onion skin, or the
// pixels that differ painted red, with their count.
import { $, state } from './state.js';

export function goldenMode() {
  return state.source?.kind === 'golden' ? $('golden-mode').value : 'off';
}

export function addGolden(sheet, page, proofImg) {
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
