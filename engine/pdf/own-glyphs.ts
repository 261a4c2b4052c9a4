import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFContext } from 'pdf-lib';
import { PrintError } from '../errors.ts';
import { tokens, type Token } from './content-offset.ts';

/**
 * A print's fonts hold only the glyphs its own pages draw.
 *
 * Chromium embeds one subset of each font per print call, with every glyph any page of the call drew. When
 * a call printed several people's pages (a counter batch: engine/browser/counter-batch.ts) and each gets
 * their own file, each file's subsets would carry the glyphs of the others' names and addresses: their
 * outlines, their advance widths (the subset zeroes those of glyphs it leaves out) and their Unicode
 * values in the ToUnicode map. This pass subsets each composite font again to the glyphs the file's pages
 * draw, with HarfBuzz's subsetter (harfbuzzjs, the one Chromium uses through Skia), keeping glyph ids, so
 * the pages' drawing is unchanged; and cuts the font's widths and ToUnicode map to the same glyphs.
 */

/** One drawing (a page's own content, as text) and the resources it draws with. */
export interface Drawing {
  text: string;
  resources: PDFDict | undefined;
}

/**
 * hb-subset.h: keep glyph ids, and .notdef's outline as the font has it. The subsetter adds the glyphs
 * that GSUB makes of the kept ones (their alternates), as Skia's subset of the print alone has them.
 */
const HB_SUBSET_FLAGS = 0x2 | 0x40;

interface HarfBuzz {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  hb_blob_create(data: number, length: number, mode: number, user: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_blob_get_data(blob: number, length: number): number;
  hb_blob_get_length(blob: number): number;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_face_reference_blob(face: number): number;
  hb_subset_input_create_or_fail(): number;
  hb_subset_input_destroy(input: number): void;
  hb_subset_input_glyph_set(input: number): number;
  hb_subset_input_set_flags(input: number, flags: number): void;
  hb_set_add(set: number, value: number): void;
  hb_subset_or_fail(face: number, input: number): number;
}

let harfBuzz: HarfBuzz | undefined;

/** HarfBuzz's subsetter (WebAssembly, no imports), started on first use. */
function hb(): HarfBuzz {
  if (!harfBuzz) {
    const wasm = readFileSync(createRequire(import.meta.url).resolve('harfbuzzjs/dist/harfbuzz-subset.wasm'));
    harfBuzz = new WebAssembly.Instance(new WebAssembly.Module(wasm), {}).exports as unknown as HarfBuzz;
  }
  return harfBuzz;
}

/** `font` (TrueType) subset to `glyphs`, glyph ids kept. */
export function subsetTrueType(font: Uint8Array, glyphs: Iterable<number>): Uint8Array {
  const h = hb();
  const data = h.malloc(font.byteLength);
  new Uint8Array(h.memory.buffer).set(font, data);
  const blob = h.hb_blob_create(data, font.byteLength, 1 /* HB_MEMORY_MODE_READONLY */, 0, 0);
  const face = h.hb_face_create(blob, 0);
  h.hb_blob_destroy(blob);
  const input = h.hb_subset_input_create_or_fail();
  try {
    const set = h.hb_subset_input_glyph_set(input);
    h.hb_set_add(set, 0);
    for (const g of glyphs) h.hb_set_add(set, g);
    h.hb_subset_input_set_flags(input, HB_SUBSET_FLAGS);
    const subset = h.hb_subset_or_fail(face, input);
    if (!subset) throw new PrintError('RENDER', 'a printed font could not be subset to its glyphs');
    const out = h.hb_face_reference_blob(subset);
    const length = h.hb_blob_get_length(out);
    const bytes = new Uint8Array(h.memory.buffer, h.hb_blob_get_data(out, 0), length).slice();
    h.hb_blob_destroy(out);
    h.hb_face_destroy(subset);
    if (length === 0) throw new PrintError('RENDER', 'a printed font could not be subset to its glyphs');
    return bytes;
  } finally {
    h.hb_subset_input_destroy(input);
    h.hb_face_destroy(face);
    h.free(data);
  }
}

/**
 * Cuts every composite font that `drawings` (and the forms they draw, but those `skipForm` names) name to
 * the glyphs they draw; a font they name and never draw with is taken out of their resources. A static
 * layer's form is skipped by its callers: its fonts hold nobody's data and are shared by every page.
 */
export function keepOwnGlyphs(context: PDFContext, drawings: readonly Drawing[], skipForm: (name: string) => boolean = () => false): void {
  const used = new Map<PDFRef, Set<number>>();
  const listed = new Map<PDFRef, { fonts: PDFDict; name: PDFName }[]>();
  const forms = new Set<PDFRef>();
  const visit = (text: string, resources: PDFDict | undefined) => {
    const fonts = resources?.lookup(PDFName.of('Font'));
    const xobjects = resources?.lookup(PDFName.of('XObject'));
    if (fonts instanceof PDFDict) {
      for (const [name, ref] of fonts.entries()) {
        if (!(ref instanceof PDFRef)) continue;
        listed.set(ref, [...(listed.get(ref) ?? []), { fonts, name }]);
        if (!used.has(ref)) used.set(ref, new Set());
      }
    }
    let font: Set<number> | undefined;
    const operands: Token[] = [];
    for (const t of tokens(text)) {
      if (t.kind !== 'operator') {
        operands.push(t);
        continue;
      }
      const op = text.slice(t.start, t.end);
      const strings = () => operands.map((o) => text.slice(o.start, o.end)).filter((s) => s.startsWith('<') || s.startsWith('('));
      if (op === 'Tf' && fonts instanceof PDFDict) {
        const name = operands[0] ? text.slice(operands[0].start + 1, operands[0].end) : '';
        const ref = fonts.get(PDFName.of(name));
        font = ref instanceof PDFRef ? used.get(ref) : undefined;
      } else if ((op === 'Tj' || op === 'TJ' || op === "'" || op === '"') && font) {
        for (const s of op === 'TJ' ? strings() : strings().slice(-1)) {
          const bytes = stringBytes(s);
          for (let i = 0; i + 1 < bytes.length; i += 2) font.add(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
        }
      } else if (op === 'Do' && xobjects instanceof PDFDict && operands[0]) {
        const name = text.slice(operands[0].start + 1, operands[0].end);
        const ref = xobjects.get(PDFName.of(name));
        const form = ref instanceof PDFRef ? context.lookup(ref) : undefined;
        if (ref instanceof PDFRef && !skipForm(name) && !forms.has(ref) && form instanceof PDFRawStream) {
          forms.add(ref);
          if (form.dict.get(PDFName.of('Subtype')) === PDFName.of('Form')) {
            const own = form.dict.lookup(PDFName.of('Resources'));
            visit(streamText(form), own instanceof PDFDict ? own : undefined);
          }
        }
      }
      operands.length = 0;
    }
  };
  for (const d of drawings) visit(d.text, d.resources);
  for (const [ref, glyphs] of used) {
    const type0 = context.lookup(ref);
    if (!(type0 instanceof PDFDict) || type0.get(PDFName.of('Subtype')) !== PDFName.of('Type0')) continue;
    if (glyphs.size === 0) {
      for (const { fonts, name } of listed.get(ref) ?? []) fonts.delete(name);
      continue;
    }
    cutFont(context, type0, glyphs);
  }
}

/** A Type0 font (Identity-H over a CIDFontType2 with identity CID → glyph map) cut to `glyphs`. */
function cutFont(context: PDFContext, type0: PDFDict, glyphs: Set<number>): void {
  const descendants = type0.lookup(PDFName.of('DescendantFonts'));
  const cid = descendants instanceof PDFArray ? descendants.lookup(0) : undefined;
  const descriptor = cid instanceof PDFDict ? cid.lookup(PDFName.of('FontDescriptor')) : undefined;
  const programRef = descriptor instanceof PDFDict ? descriptor.get(PDFName.of('FontFile2')) : undefined;
  const program = programRef instanceof PDFRef ? context.lookup(programRef) : undefined;
  if (
    type0.get(PDFName.of('Encoding')) !== PDFName.of('Identity-H') ||
    !(cid instanceof PDFDict) ||
    cid.get(PDFName.of('CIDToGIDMap')) !== PDFName.of('Identity') ||
    !(descriptor instanceof PDFDict) ||
    !(programRef instanceof PDFRef) ||
    !(program instanceof PDFRawStream)
  ) {
    throw new PrintError('RENDER', 'a printed font is not a TrueType font with identity glyph ids: it cannot be cut to its own glyphs');
  }
  const cut = subsetTrueType(streamBytes(program), glyphs);
  const packed = deflateSync(cut);
  const dict = program.dict.clone(context);
  dict.set(PDFName.of('Length'), PDFNumber.of(packed.length));
  dict.set(PDFName.of('Length1'), PDFNumber.of(cut.length));
  dict.set(PDFName.of('Filter'), PDFName.of('FlateDecode'));
  context.assign(programRef, PDFRawStream.of(dict, packed));
  const widths = cid.lookup(PDFName.of('W'));
  if (widths instanceof PDFArray) cid.set(PDFName.of('W'), context.obj(keptWidths(widths, glyphs)));
  const toUnicodeRef = type0.get(PDFName.of('ToUnicode'));
  const toUnicode = toUnicodeRef instanceof PDFRef ? context.lookup(toUnicodeRef) : undefined;
  if (toUnicodeRef instanceof PDFRef && toUnicode instanceof PDFRawStream) {
    const text = Buffer.from(keptToUnicode(streamText(toUnicode), glyphs), 'latin1');
    const bytes = deflateSync(text);
    context.assign(toUnicodeRef, PDFRawStream.of(context.obj({ Length: bytes.length, Filter: 'FlateDecode' }), bytes));
  }
}

/** A page's drawing (its content streams joined) and its resources, as keepOwnGlyphs reads them. */
export function pageDrawing(context: PDFContext, page: PDFDict): Drawing {
  const contents = page.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  const text = refs
    .map((r) => context.lookup(r))
    .map((s) => (s instanceof PDFRawStream ? streamText(s) : ''))
    .join('\n');
  const resources = page.lookup(PDFName.of('Resources'));
  return { text, resources: resources instanceof PDFDict ? resources : undefined };
}

/** A CID font's W array (PDF 32000-1, 9.7.4.3) with only the widths of `glyphs`, as `c [w]` entries. */
export function keptWidths(widths: PDFArray, glyphs: Set<number>): (number | number[])[] {
  const out: (number | number[])[] = [];
  const keep = (c: number, w: number) => {
    if (glyphs.has(c)) out.push(c, [w]);
  };
  const items = widths.asArray();
  for (let i = 0; i < items.length;) {
    const first = items[i];
    const next = items[i + 1];
    if (!(first instanceof PDFNumber)) break;
    if (next instanceof PDFArray) {
      next.asArray().forEach((w, k) => keep(first.asNumber() + k, (w as PDFNumber).asNumber()));
      i += 2;
    } else {
      const last = (next as PDFNumber).asNumber();
      const w = (items[i + 2] as PDFNumber).asNumber();
      for (let c = first.asNumber(); c <= last; c++) keep(c, w);
      i += 3;
    }
  }
  return out;
}

/** A ToUnicode CMap with only the codes of `glyphs`, written as bfchar entries. */
export function keptToUnicode(cmap: string, glyphs: Set<number>): string {
  const hex = (h: string) => parseInt(h, 16);
  const pairs: [number, string][] = [];
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] as string).matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g))
      pairs.push([hex(m[1] as string), m[2] as string]);
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of (block[1] as string).matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])/g)) {
      const [from, to, dst] = [hex(m[1] as string), hex(m[2] as string), m[3] as string];
      const list = dst.startsWith('[') ? [...dst.matchAll(/<([0-9A-Fa-f]+)>/g)].map((d) => d[1] as string) : undefined;
      for (let c = from; c <= to; c++) {
        if (list) pairs.push([c, list[c - from] ?? '']);
        else {
          const base = dst.slice(1, -1);
          // the last 16 bits count up with the code (PDF 32000-1, 9.10.3)
          const last = (hex(base.slice(-4)) + (c - from)).toString(16).toUpperCase().padStart(4, '0');
          pairs.push([c, base.slice(0, -4) + last]);
        }
      }
    }
  }
  const kept = pairs.filter(([c, u]) => glyphs.has(c) && u !== '').sort((a, b) => a[0] - b[0]);
  const blocks = [...cmap.matchAll(/\d+\s+begin(bfchar|bfrange)[\s\S]*?end\1/g)];
  const first = blocks[0];
  const last = blocks.at(-1);
  if (!first || !last) return cmap;
  let body = '';
  for (let i = 0; i < kept.length; i += 100) {
    const part = kept.slice(i, i + 100);
    body += `${part.length} beginbfchar\n${part.map(([c, u]) => `<${c.toString(16).toUpperCase().padStart(4, '0')}> <${u}>`).join('\n')}\nendbfchar\n`;
  }
  return cmap.slice(0, first.index) + body + cmap.slice(last.index + last[0].length).trimStart();
}

/** The bytes of a string token: hex `<…>` or literal `(…)` with its escapes. */
function stringBytes(s: string): number[] {
  if (s.startsWith('<')) {
    const hex = s.slice(1, -1).replace(/\s+/g, '');
    const even = hex.length % 2 ? hex + '0' : hex;
    return Array.from({ length: even.length / 2 }, (_, i) => parseInt(even.slice(2 * i, 2 * i + 2), 16));
  }
  const out: number[] = [];
  const body = s.slice(1, -1);
  const ESC: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const d = body[++i] ?? '';
    if (/[0-7]/.test(d)) {
      let oct = d;
      while (oct.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) oct += body[++i];
      out.push(parseInt(oct, 8) & 0xff);
    } else if (d === '\n' || d === '\r') {
      if (d === '\r' && body[i + 1] === '\n') i++;
    } else out.push(ESC[d] ?? d.charCodeAt(0));
  }
  return out;
}

function streamBytes(stream: PDFRawStream): Uint8Array {
  const filter = stream.dict.get(PDFName.of('Filter'));
  if (filter === undefined) return stream.contents;
  if (filter === PDFName.of('FlateDecode')) return inflateSync(stream.contents);
  throw new PrintError('RENDER', `a printed stream has the filter ${String(filter)}`);
}

function streamText(stream: PDFRawStream): string {
  return Buffer.from(streamBytes(stream)).toString('latin1');
}
