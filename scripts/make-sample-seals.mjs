// Draws the sample insurers' seals in insurers/seals/ (fictional 見本 artwork, black on transparent; the
// engine prints a seal in its profile's red). Run once by hand when the artwork changes: the PNGs are
// committed, so tests and goldens never depend on this script or on text rendering.
//   node scripts/make-sample-seals.mjs
import { Buffer } from 'node:buffer';
import process from 'node:process';
import sharp from 'sharp';

const GOTHIC_BOLD = '/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Bold.ttf';

/** A square 角印 of `side` px: a frame and the text in columns read top to bottom, right to left. */
async function squareSeal(file, columns, side) {
  const frame = Math.round(side * 0.06);
  const inner = side - 4 * frame;
  const rows = Math.max(...columns.map((c) => [...c].length));
  const cellW = Math.floor(inner / columns.length);
  const cellH = Math.floor(inner / rows);
  const cell = Math.min(cellW, cellH);
  const layers = [];
  for (const [c, chars] of columns.entries()) {
    for (const [r, ch] of [...chars].entries()) {
      const glyph = await sharp({
        text: { text: ch, fontfile: GOTHIC_BOLD, font: 'BIZ UDGothic Bold', rgba: true, dpi: Math.round((cell * 0.9 * 72) / 12) * 2 },
      })
        .resize(cellW, cellH, { fit: 'fill' })
        .png()
        .toBuffer();
      layers.push({ input: glyph, left: side - 2 * frame - (c + 1) * cellW, top: 2 * frame + r * cellH });
    }
  }
  const border = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect x="${frame / 2}" y="${frame / 2}" width="${side - frame}" height="${side - frame}" fill="none" stroke="#000" stroke-width="${frame}"/></svg>`,
  );
  await sharp({ create: { width: side, height: side, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: border }, ...layers])
    .png({ compressionLevel: 9 })
    .withMetadata({ density: 600 })
    .toFile(file);
}

await squareSeal('insurers/seals/kyokai-shimane.png', ['全国健', '康保険', '協会印'], 300);
await squareSeal('insurers/seals/kouki-shimane.png', ['広域連', '合之印'], 200);
process.stdout.write('wrote insurers/seals/kyokai-shimane.png, insurers/seals/kouki-shimane.png' + '\n');
