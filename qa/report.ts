import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One compared page, as the report shows it. */
export interface ReportPage {
  /** Where the page belongs, e.g. "kokuho-card / under-70 / page 1" or "page 3". */
  title: string;
  status: 'same' | 'different' | 'missing' | 'written';
  diffPixels: number;
  /** The differing region, in millimetres from the page's top-left corner. */
  regionMm: { x: number; y: number; width: number; height: number } | null;
  /** What else is wrong with this page (size, count, meaning checks), in words. */
  notes: string[];
  images?: { expected?: Buffer; actual?: Buffer; diff?: Buffer };
}

/** A whole check or diff, as the report shows it. */
export interface Report {
  title: string;
  ok: boolean;
  /** Lines said before the pages: environment, counts, problems that are not a page's. */
  notes: string[];
  pages: ReportPage[];
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;
const mm = (n: number) => n.toFixed(1);

/**
 * Writes `dir/index.html`, one self-contained page (images inline, no network) with expected, actual and
 * diff side by side for every page that is not the same, a slider and a flicker to move between expected
 * and actual; and `dir/summary.json` for programs. Answers the HTML path.
 */
export function writeReport(dir: string, report: Report): string {
  mkdirSync(dir, { recursive: true });
  const summary = {
    title: report.title,
    ok: report.ok,
    notes: report.notes,
    pages: report.pages.map(({ images: _images, ...p }) => p),
  };
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const shown = report.pages.filter((p) => p.status !== 'same');
  const sections = shown.map((p, i) => {
    const where = p.regionMm
      ? `region x ${mm(p.regionMm.x)}–${mm(p.regionMm.x + p.regionMm.width)} mm, y ${mm(p.regionMm.y)}–${mm(p.regionMm.y + p.regionMm.height)} mm`
      : '';
    const img = (label: string, png?: Buffer) =>
      png ? `<figure><figcaption>${label}</figcaption><img src="${dataUri(png)}" alt="${label}"></figure>` : '';
    const swipe =
      p.images?.expected && p.images.actual
        ? `<div class="swipe" id="s${i}"><img src="${dataUri(p.images.expected)}" alt="expected"><img class="top" src="${dataUri(p.images.actual)}" alt="actual"></div>
<label>expected ◀ <input type="range" min="0" max="100" value="50" data-swipe="s${i}"> ▶ actual</label> <button type="button" data-flick="s${i}">flick</button>`
        : '';
    return `<section class="${p.status}"><h2>${escape(p.title)}: ${p.status}${p.diffPixels ? `, ${p.diffPixels} differing pixels` : ''}${where ? `, ${where}` : ''}</h2>
${p.notes.map((n) => `<p class="note">${escape(n)}</p>`).join('\n')}
<div class="row">${img('expected', p.images?.expected)}${img('actual', p.images?.actual)}${img('diff (red: differing pixels)', p.images?.diff)}</div>
${swipe}</section>`;
  });
  const html = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>${escape(report.title)}</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}.ok{color:#070}.bad{color:#b00}
section{border-top:1px solid #ccc;padding:.8em 0}h2{font-size:1.05em}.note{margin:.2em 0;color:#b00}
.row{display:flex;gap:1em;flex-wrap:wrap;align-items:flex-start}figure{margin:0}figcaption{font-size:.85em;color:#555}
img{max-width:31vw;border:1px solid #999;image-rendering:pixelated}.swipe{position:relative;display:inline-block;margin-top:.6em}
.swipe img{display:block;max-width:60vw}.swipe .top{position:absolute;left:0;top:0;clip-path:inset(0 0 0 50%)}
table{border-collapse:collapse}td{padding:.1em .6em}
</style></head><body>
<h1>${escape(report.title)}: <span class="${report.ok ? 'ok' : 'bad'}">${report.ok ? 'all the same' : 'differences found'}</span></h1>
${report.notes.map((n) => `<p>${escape(n)}</p>`).join('\n')}
<table>${report.pages.map((p) => `<tr><td>${escape(p.title)}</td><td class="${p.status === 'same' ? 'ok' : 'bad'}">${p.status}</td><td>${p.diffPixels || ''}</td></tr>`).join('')}</table>
${sections.join('\n')}
<script>
for (const r of document.querySelectorAll('[data-swipe]')) r.addEventListener('input', () => {
  document.querySelector('#' + r.dataset.swipe + ' .top').style.clipPath = 'inset(0 0 0 ' + r.value + '%)';
});
for (const b of document.querySelectorAll('[data-flick]')) b.addEventListener('click', () => {
  const top = document.querySelector('#' + b.dataset.flick + ' .top');
  if (b.timer) { clearInterval(b.timer); b.timer = 0; top.style.visibility = 'visible'; return; }
  top.style.clipPath = 'none';
  b.timer = setInterval(() => { top.style.visibility = top.style.visibility === 'hidden' ? 'visible' : 'hidden'; }, 500);
});
</script>
</body></html>
`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}
