import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { PrintError } from '../errors.ts';
import { PdfFile } from './pdf-file.ts';
import type { PdfSink } from './pdf-writer.ts';
import { fileId, infoDictionary, pdfText, xmpPacket, type VtMetadata } from './pdfvt-metadata.ts';

export { documentDate, type VtMetadata } from './pdfvt-metadata.ts';

/** One document part (DPart leaf) of the file: so many consecutive pages, and the keys of its records. */
export interface VtPart {
  pages: number;
  keys: readonly string[];
}

/** What the PDF/VT pass adds to a finished file. */
export interface PdfVtOptions {
  /** The document parts in page order; their pages add up to the file's. */
  parts: readonly VtPart[];
  /** `record`: one part per record (trim pages); `sheet`: one per imposed sheet, naming its records. */
  level: 'record' | 'sheet';
  metadata: VtMetadata;
  /** The OutputIntent to add (office RGB output); left out when the file has one (the press step's). */
  outputIntent?: { icc: string; identifier: string; info: string } | undefined;
}

/** Bytes copied at a time. */
const PIECE = 1 << 20;
/** Leaves written at a time; and how many go in one inner array of a DParts array of arrays. */
const SLICE = 10_000;
const INNER = 8_000;
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const ref = (n: number) => `${n} 0 R`;

/**
 * Makes a finished PDF (PdfWriter's, or Ghostscript's press file) PDF/VT-1 on PDF/X-4, streamed into `sink`:
 * one pass that copies the file object by object and changes only what it must. Header %PDF-1.6 (PDF/X-4 is
 * PDF 1.6); every page gains /DPart, its leaf in the document part hierarchy (ISO 16612-2), and keeps its
 * boxes within its MediaBox (Ghostscript rounds the MediaBox to 0.01 pt and can leave the TrimBox 0.004 pt
 * outside it); the catalog gains /DPartRoot, the XMP /Metadata and, for office output, an OutputIntent; the
 * information dictionary is written anew (dates, Trapped, GTS_PDFXVersion, agreeing with the XMP); an XMP
 * packet of an earlier producer is dropped; the trailer gains /ID, a hash of the bytes before it. The DPart
 * tree is written in slices at the end, like the page tree: memory holds offsets and page numbers (a few
 * bytes per object and per page) and the parts' keys, never the file.
 *
 * Everything that draws is copied byte for byte: content streams, fonts, images and form XObjects (so a
 * static form shared by every page stays one object).
 */
export function writePdfVt(input: string, sink: PdfSink, o: PdfVtOptions): void {
  const file = new PdfFile(input);
  try {
    new VtPass(file, sink, o).run();
  } finally {
    file.close();
  }
}

class VtPass {
  private out = 0;
  /** The hash of what is written, until the file identifier is taken from it. */
  private hash: ReturnType<typeof createHash> | undefined = createHash('sha256');

  constructor(
    private readonly file: PdfFile,
    private readonly sink: PdfSink,
    private readonly o: PdfVtOptions,
  ) {}

  run(): void {
    const { file, o } = this;
    const root = file.trailerRef('Root');
    if (root === undefined) throw new PrintError('RENDER', 'the PDF has no catalog');
    const info = file.trailerRef('Info');
    const catalog = dictOf(file.objectText(root));
    const pagesRoot = refIn(catalog, 'Pages');
    if (pagesRoot === undefined) throw new PrintError('RENDER', 'the catalog has no page tree');
    const oldXmp = refIn(catalog, 'Metadata');
    const hasIntent = /\/OutputIntents\b/.test(catalog);
    if (hasIntent === (o.outputIntent !== undefined)) {
      throw new PrintError('RENDER', hasIntent ? 'the PDF has an OutputIntent already' : 'the PDF has no OutputIntent: PDF/X-4 needs one');
    }
    const pages = this.pageObjects(pagesRoot);
    const total = o.parts.reduce((sum, p) => sum + p.pages, 0);
    if (total !== pages.length) throw new PrintError('RENDER', `the document parts hold ${total} pages, the PDF ${pages.length}`);

    // New objects are numbered after the file's own.
    let next = file.offsets.length;
    const dpartRoot = next++;
    const rootNode = next++;
    const firstLeaf = next;
    next += o.parts.length;
    const intent = o.outputIntent ? next : -1;
    next += o.outputIntent ? 2 : 0;
    const infoNumber = info ?? next++;
    const xmp = next++;
    const offsets = new Float64Array(next).fill(-1);

    // By object number (4 bytes an object): the leaf of each page, -1 for objects that are no page.
    const leafOfPage = new Int32Array(file.offsets.length).fill(-1);
    let p = 0;
    o.parts.forEach((part, k) => {
      for (let i = 0; i < part.pages; i++) {
        const page = pages[p++] as number;
        if ((leafOfPage[page] as number) >= 0) throw new PrintError('RENDER', `the page tree names object ${page} twice`);
        leafOfPage[page] = firstLeaf + k;
      }
    });
    const extra = [`/DPartRoot ${ref(dpartRoot)}`, `/Metadata ${ref(xmp)}`, ...(intent > 0 ? [`/OutputIntents [ ${ref(intent)} ]`] : [])];
    const edit = (n: number, text: string): Buffer | null => {
      if (n === root)
        return latin1(`${n} 0 obj\n<<${catalog.replace(/\/Metadata\s+\d+\s+\d+\s+R/, '')}\n${extra.join('\n')}\n>>\nendobj\n`);
      if (n === info) return latin1(`${n} 0 obj\n${infoDictionary(o.metadata)}\nendobj\n`);
      if (n === oldXmp) return null;
      return latin1(pageWithPart(text, leafOfPage[n] as number));
    };
    const edited = (n: number) => n === root || n === info || n === oldXmp || (leafOfPage[n] as number) >= 0;
    this.copyBody(offsets, edited, edit);

    // The document part hierarchy (ISO 16612-2; ISO 32000-2, 14.12): DPartRoot, one node, the leaves.
    const record = o.level === 'record';
    this.object(
      offsets,
      dpartRoot,
      `<< /Type /DPartRoot /DPartRootNode ${ref(rootNode)} ${record ? '/RecordLevel 1 /NodeNameList [ /Job /Record ]' : '/NodeNameList [ /Job /Sheet ]'} >>`,
    );
    offsets[rootNode] = this.out;
    this.emit(latin1(`${rootNode} 0 obj\n<< /Type /DPart /Parent ${ref(dpartRoot)} /DParts [`));
    for (let k = 0; k < o.parts.length; k += INNER) {
      const inner = Array.from({ length: Math.min(INNER, o.parts.length - k) }, (_, i) => ref(firstLeaf + k + i));
      this.emit(latin1(` [ ${inner.join(' ')} ]`));
    }
    this.emit(latin1(' ] >>\nendobj\n'));
    let page = 0;
    for (let k = 0; k < o.parts.length; k += SLICE) {
      const slice: string[] = [];
      let at = this.out;
      for (let i = k; i < Math.min(k + SLICE, o.parts.length); i++) {
        const part = o.parts[i] as VtPart;
        const [start, end] = [pages[page] as number, pages[page + part.pages - 1] as number];
        page += part.pages;
        const range = start === end ? `/Start ${ref(start)}` : `/Start ${ref(start)} /End ${ref(end)}`;
        const leaf = `${firstLeaf + i} 0 obj\n<< /Type /DPart /Parent ${ref(rootNode)} ${range} /DPM ${dpm(part, i, record)} >>\nendobj\n`;
        offsets[firstLeaf + i] = at;
        at += leaf.length; // the text is ASCII: keys are written in hex
        slice.push(leaf);
      }
      this.emit(latin1(slice.join('')));
    }
    if (o.outputIntent) this.writeIntent(offsets, intent, o.outputIntent);
    if (info === undefined) this.object(offsets, infoNumber, infoDictionary(o.metadata));
    // The file identifier hashes every byte before the XMP, which names it as xmpMM:DocumentID.
    const id = fileId(this.hash as ReturnType<typeof createHash>);
    this.hash = undefined;
    const packet = xmpPacket(o.metadata, id);
    offsets[xmp] = this.out;
    this.emit(latin1(`${xmp} 0 obj\n<< /Type /Metadata /Subtype /XML /Length ${packet.length} >>\nstream\n`));
    this.emit(packet);
    this.emit(latin1('\nendstream\nendobj\n'));
    this.writeXref(offsets, root, infoNumber, id.toString('hex').toUpperCase());
  }

  /** Object numbers of the pages in order, from the page tree (its nodes are read; pages only peeked at). */
  private pageObjects(node: number): Int32Array {
    const pages: number[] = [];
    const walk = (n: number, depth: number) => {
      if (depth > 32) throw new PrintError('RENDER', 'the page tree is deeper than 32 levels');
      const at = this.file.offsets[n] ?? -1;
      if (at < 0) throw new PrintError('RENDER', `the page tree names object ${n}, which is not in the file`);
      const peek = this.file.read(at, 512).toString('latin1').split('endobj')[0] as string;
      if (!/\/Type\s*\/Pages\b/.test(peek)) {
        pages.push(n);
        return;
      }
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(this.file.objectText(n));
      for (const m of (kids?.[1] ?? '').matchAll(/(\d+)\s+\d+\s+R/g)) walk(Number(m[1]), depth + 1);
    };
    walk(node, 0);
    return Int32Array.from(pages);
  }

  /**
   * Copies every object of the file in file order, with `edit`'s text for the `edited` ones (null: left
   * out), noting each one's new offset; the header becomes %PDF-1.6.
   */
  private copyBody(offsets: Float64Array, edited: (n: number) => boolean, edit: (n: number, text: string) => Buffer | null): void {
    const { file } = this;
    // The objects in file order, 4 bytes each (PdfWriter writes its catalog, page tree and information last).
    let count = 0;
    for (let n = 0; n < file.offsets.length; n++) if ((file.offsets[n] as number) >= 0) count++;
    let order = new Uint32Array(count);
    let sorted = true;
    for (let n = 0, i = 0; n < file.offsets.length; n++) {
      if ((file.offsets[n] as number) < 0) continue;
      if (i > 0 && (file.offsets[n] as number) < (file.offsets[order[i - 1] as number] as number)) sorted = false;
      order[i++] = n;
    }
    if (!sorted) order = order.sort((a, b) => (file.offsets[a] as number) - (file.offsets[b] as number));
    const head = file.read(0, 9).toString('latin1');
    if (!/^%PDF-1\.\d\s/.test(head)) throw new PrintError('RENDER', 'the file does not start with a PDF header');
    this.emit(latin1('%PDF-1.6'));
    let cursor = 8;
    let delta = 0;
    order.forEach((n, i) => {
      const start = file.offsets[n] as number;
      offsets[n] = start + delta;
      if (!edited(n)) return;
      const end = i + 1 < order.length ? (file.offsets[order[i + 1] as number] as number) : file.xrefAt;
      this.copy(cursor, start);
      const replacement = edit(n, file.read(start, end - start).toString('latin1'));
      if (replacement) this.emit(replacement);
      else offsets[n] = -1;
      delta += (replacement?.length ?? 0) - (end - start);
      cursor = end;
    });
    this.copy(cursor, file.xrefAt);
  }

  private copy(from: number, to: number): void {
    for (let at = from; at < to; at += PIECE) this.emit(this.file.read(at, Math.min(PIECE, to - at)));
  }

  private writeIntent(offsets: Float64Array, n: number, intent: NonNullable<PdfVtOptions['outputIntent']>): void {
    const icc = readFileSync(intent.icc);
    const components = { GRAY: 1, 'RGB ': 3, CMYK: 4 }[icc.subarray(16, 20).toString('latin1')];
    if (components === undefined) throw new PrintError('SETUP', `${intent.icc} is not a gray, RGB or CMYK ICC profile`);
    this.object(
      offsets,
      n,
      `<< /Type /OutputIntent /S /GTS_PDFX /OutputConditionIdentifier ${pdfText(intent.identifier)} /Info ${pdfText(intent.info)} /RegistryName (http://www.color.org) /DestOutputProfile ${ref(n + 1)} >>`,
    );
    const packed = deflateSync(icc);
    offsets[n + 1] = this.out;
    this.emit(latin1(`${n + 1} 0 obj\n<< /N ${components} /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`));
    this.emit(packed);
    this.emit(latin1('\nendstream\nendobj\n'));
  }

  private object(offsets: Float64Array, n: number, body: string): void {
    offsets[n] = this.out;
    this.emit(latin1(`${n} 0 obj\n${body}\nendobj\n`));
  }

  /** The cross-reference table, in slices, and the trailer with the file identifier. */
  private writeXref(offsets: Float64Array, root: number, info: number, id: string): void {
    const xrefAt = this.out;
    let rows = ['xref', `0 ${offsets.length}`, '0000000000 65535 f '];
    for (let n = 1; n < offsets.length; n++) {
      const at = offsets[n] as number;
      rows.push(at < 0 ? '0000000000 65535 f ' : `${String(at).padStart(10, '0')} 00000 n `);
      if (rows.length >= SLICE) {
        this.emit(latin1(`${rows.join('\n')}\n`));
        rows = [];
      }
    }
    rows.push(
      `trailer\n<< /Size ${offsets.length} /Root ${ref(root)} /Info ${ref(info)} /ID [ <${id}> <${id}> ] >>\nstartxref\n${xrefAt}\n%%EOF\n`,
    );
    this.emit(latin1(rows.join('\n')));
  }

  private emit(bytes: Uint8Array): void {
    this.sink(bytes);
    this.hash?.update(bytes);
    this.out += bytes.length;
  }
}

/** The text between an object's outermost `<<` and `>>`. */
function dictOf(objectText: string): string {
  const open = objectText.indexOf('<<');
  const close = objectText.lastIndexOf('>>');
  if (open < 0 || close < open) throw new PrintError('RENDER', 'an object that should be a dictionary is not one');
  return objectText.slice(open + 2, close);
}

function refIn(dict: string, key: string): number | undefined {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+\\d+\\s+R`).exec(dict);
  return m ? Number(m[1]) : undefined;
}

/** A page object's text with /DPart added and its Trim, Bleed, Crop and Art boxes kept within its MediaBox. */
function pageWithPart(text: string, leaf: number): string {
  const open = text.indexOf('<<');
  if (open < 0) throw new PrintError('RENDER', 'a page object is not a dictionary');
  let page = `${text.slice(0, open + 2)}/DPart ${ref(leaf)} ${text.slice(open + 2)}`;
  const numbers = (s: string) => s.trim().split(/\s+/).map(Number);
  const media = /\/MediaBox\s*\[([^\]]*)\]/.exec(page);
  if (!media) return page;
  const [x0, y0, x1, y1] = numbers(media[1] as string) as [number, number, number, number];
  page = page.replace(/\/(TrimBox|BleedBox|CropBox|ArtBox)\s*\[([^\]]*)\]/g, (whole, name: string, box: string) => {
    const [a, b, c, d] = numbers(box) as [number, number, number, number];
    const clamped = [Math.max(a, x0), Math.max(b, y0), Math.min(c, x1), Math.min(d, y1)];
    return clamped.every((v, i) => v === [a, b, c, d][i]) ? whole : `/${name} [ ${clamped.join(' ')} ]`;
  });
  return page;
}

/**
 * A leaf's document part metadata. A record's: its key as CIP4_Root / CIP4_Recipient / CIP4_UniqueID, the
 * CIP4 vocabulary that PDF/VT's DPM is read with. A sheet's: its number and its records' keys in slot order.
 */
function dpm(part: VtPart, index: number, record: boolean): string {
  if (record) return `<< /CIP4_Root << /CIP4_Recipient << /CIP4_UniqueID ${pdfText(part.keys[0] ?? '')} >> >> >>`;
  return `<< /Sheet ${index + 1} /Records [ ${part.keys.map(pdfText).join(' ')} ] >>`;
}
