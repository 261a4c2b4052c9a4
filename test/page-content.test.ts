// Content before pixels: qa/page-content.ts calls two PDF pages equal when what draws them is equal, whatever
// the objects are numbered, however the streams are compressed and whatever tag a font subset carries; and
// different when anything that draws differs (a byte of a font program, a number in the content, a box).
// Runs mutool (process tier): PDFs are made here with pdf-lib, no Chromium.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFName, type PDFRef } from 'pdf-lib';
import { PageContents, pageContentHashes } from '../qa/page-content.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-page-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Variant {
  /** Objects made before the page's, so that every object is numbered differently. */
  filler?: number;
  tag?: string;
  compress?: boolean;
  fontProgram?: string;
  content?: string;
  mediaBox?: number[];
  /** Resources on the page tree's root, inherited, instead of on the page. */
  inherited?: boolean;
}

const FONT = 'a font program: glyph outlines 0123456789';
const CONTENT = 'q 1 0 0 1 0 -0.1 cm BT /F1 10 Tf 12 20 Td <0012> Tj ET 0 0 324 205 re f Q';

/** A one-page PDF whose page shows CONTENT in a subset font, written as `v` says; then a second page. */
async function pdf(name: string, v: Variant = {}): Promise<string> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const ctx = doc.context;
  for (let i = 0; i < (v.filler ?? 0); i++) ctx.register(ctx.obj({ Filler: i }));
  const bytes = (s: string) => new TextEncoder().encode(s);
  const stream = (s: string, extra: Record<string, unknown> = {}): PDFRef =>
    ctx.register(v.compress ? ctx.flateStream(bytes(s), extra as never) : ctx.stream(bytes(s), extra as never));
  const tag = v.tag ?? 'ABCDEF';
  const descriptor = ctx.register(
    ctx.obj({
      Type: 'FontDescriptor',
      FontName: `${tag}+BIZUDMincho-Regular`,
      Flags: 4,
      FontFile2: stream(v.fontProgram ?? FONT, { Length1: (v.fontProgram ?? FONT).length }),
    }),
  );
  const cid = ctx.register(
    ctx.obj({ Type: 'Font', Subtype: 'CIDFontType2', BaseFont: `${tag}+BIZUDMincho-Regular`, FontDescriptor: descriptor, W: [2, 28, 500] }),
  );
  const font = ctx.register(
    ctx.obj({ Type: 'Font', Subtype: 'Type0', BaseFont: `${tag}+BIZUDMincho-Regular`, Encoding: 'Identity-H', DescendantFonts: [cid] }),
  );
  const resources = ctx.obj({ Font: { F1: font } });
  const page = doc.addPage([242.64568, 153.01418]);
  if (v.mediaBox) page.node.set(PDFName.of('MediaBox'), ctx.obj(v.mediaBox));
  page.node.set(PDFName.of('Contents'), ctx.obj([stream(v.content ?? CONTENT)]));
  if (v.inherited) {
    page.node.delete(PDFName.of('Resources'));
    doc.catalog.Pages().set(PDFName.of('Resources'), resources);
  } else page.node.set(PDFName.of('Resources'), resources);
  doc.addPage([100, 100]);
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, await doc.save({ useObjectStreams: false }));
  return file;
}

const first = async (file: string) => (await pageContentHashes(file, 1, 1, dir)).get(1);

describe('pageContentHashes', () => {
  it('finds pages equal whatever the object numbers, the compression and the subset tag', async () => {
    const a = await pdf('a');
    const b = await pdf('b', { filler: 7, tag: 'QWERTY', compress: true });
    expect((await pageContentHashes(a, 1, 1, dir)).get(1)).toMatch(/^[0-9a-f]{64}$/);
    expect(await first(b)).toBe(await first(a));
    // The same resources inherited from the page tree draw the same page.
    expect(await first(await pdf('inherited', { inherited: true }))).toBe(await first(a));
  });

  it('finds them different when one byte of the font program, one number of the content or a box differs', async () => {
    const a = await first(await pdf('base'));
    expect(await first(await pdf('font', { tag: 'QWERTY', fontProgram: FONT.replace('9', '8') }))).not.toBe(a);
    expect(await first(await pdf('content', { content: CONTENT.replace('205 re', '204 re') }))).not.toBe(a);
    expect(await first(await pdf('box', { mediaBox: [0, 0, 242.64568, 153.1] }))).not.toBe(a);
  });

  it('answers every page asked for, each its own, and leaves no stream behind', async () => {
    const a = await pdf('two');
    const hashes = await pageContentHashes(a, 1, 2, dir);
    expect([...hashes.keys()]).toEqual([1, 2]);
    expect(hashes.get(1)).not.toBe(hashes.get(2));
    expect(readdirSync(dir).filter((f) => f.startsWith('content-'))).toEqual([]);
  });

  it('answers the same hashes page by page through PageContents, which reads a span at a time', async () => {
    const a = await pdf('span');
    const contents = new PageContents(a, 2, dir);
    const both = await pageContentHashes(a, 1, 2, dir);
    expect([await contents.hash(2), await contents.hash(1)]).toEqual([both.get(2), both.get(1)]);
    await expect(new PageContents(a, 3, dir).hash(3)).rejects.toThrow(/mutool could not read|has no page 3/);
  });

  it('says which PDF it could not read', async () => {
    const bad = join(dir, 'bad.pdf');
    writeFileSync(bad, 'not a pdf');
    await expect(pageContentHashes(bad, 1, 1, dir)).rejects.toThrow(/mutool could not read the pages of .*bad\.pdf/);
  });
});
