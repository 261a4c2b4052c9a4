// PNG pages: proofs as the PDF shows them, and `k` pages for card printers (pure black on white, no
// anti-aliasing); every PNG carries an sRGB profile and its density. Read back from the files with sharp.
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { type Engine, loadLayouts, getLayout, loadSamples } from '../engine/index.ts';
import { sharedEngine } from './helpers/shared-engine.ts';

const layout = getLayout(loadLayouts(), 'kokuho-card');
const sample = loadSamples(layout)[0];
let engine: Engine;

beforeAll(async () => {
  engine = await sharedEngine();
});

/**
 * How many pixels are pure black, pure white, anything else neutral (anti-aliased edges, grey rules,
 * tints), and colour (a hue in them, however pale: the insurer's red seal).
 */
async function census(png: Buffer): Promise<{ black: number; white: number; other: number; colour: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const out = { black: 0, white: 0, other: 0, colour: 0 };
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
    const max = Math.max(r, g, b);
    if (r === 0 && g === 0 && b === 0) out.black++;
    else if (r === 255 && g === 255 && b === 255) out.white++;
    else if (max - Math.min(r, g, b) >= 2) out.colour++;
    else out.other++;
  }
  return out;
}

describe('PNG pages', () => {
  it('in k mode are pure black on white, with the grey rules and every stroke of the text in black', async () => {
    for (const page of [1, 2]) {
      const proof = (await engine.renderPage(layout.id, [sample], { page, dpi: 300 })).png;
      const k = (await engine.renderPage(layout.id, [sample], { page, dpi: 300, png: 'k' })).png;
      const p = await census(proof);
      const c = await census(k);
      expect(p.other).toBeGreaterThan(1000); // a proof is anti-aliased, and its rules are grey
      expect(c.other).toBe(0);
      expect(c.black).toBeGreaterThan(p.black); // edges and grey rules went to black, none went to white
    }
  });

  it('in k mode keep the red seal in colour, for the dye panels: none of it turns black', async () => {
    const crop = async (png: Buffer) => census(await sharp(png).extract({ left: 878, top: 525, width: 90, height: 89 }).png().toBuffer());
    const proof = await crop((await engine.renderPage(layout.id, [sample], { page: 1, dpi: 300 })).png);
    const k = await crop((await engine.renderPage(layout.id, [sample], { page: 1, dpi: 300, png: 'k' })).png);
    expect(proof.colour).toBeGreaterThan(1000); // the seal is there, in the seal box at the lower right
    expect(k.colour).toBe(proof.colour);
    expect(k.black).toBe(0);
  });

  it('carry an sRGB profile and their density, in both modes', async () => {
    for (const png of ['proof', 'k'] as const) {
      const meta = await sharp((await engine.renderPage(layout.id, [sample], { page: 1, dpi: 300, png })).png).metadata();
      expect([png, meta.width, meta.height, meta.density, meta.hasProfile]).toEqual([png, 1011, 638, 300, true]);
      expect(meta.icc?.subarray(48, 52).toString('latin1') ?? '').not.toBe('');
    }
  });
});
