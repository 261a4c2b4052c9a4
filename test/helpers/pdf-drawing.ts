// The filled rectangles a PDF page draws, read from its content stream with the transformation matrix
// applied: what a RIP would fill, in mm from the page's top-left corner. Enough of the PDF operators for
// Chromium's output (q Q cm re f); text, images and other paths are skipped.
import { readFileSync } from 'node:fs';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream, type PDFRef } from 'pdf-lib';

const MM_PER_PT = 25.4 / 72;

/** One filled rectangle: position and size in mm, colour as the fill operator gave it. */
export interface FilledRect {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
}

type Matrix = [number, number, number, number, number, number];
const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[1] * n[2],
  m[0] * n[1] + m[1] * n[3],
  m[2] * n[0] + m[3] * n[2],
  m[2] * n[1] + m[3] * n[3],
  m[4] * n[0] + m[5] * n[2] + n[4],
  m[4] * n[1] + m[5] * n[3] + n[5],
];

/** Splits a content stream into operands and operators; strings, arrays and dictionaries become one token. */
function* tokens(s: string): Generator<string> {
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '%') {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      let depth = 0;
      const start = i;
      for (; i < s.length; i++) {
        if (s[i] === '\\') {
          i++;
          continue;
        }
        if (s[i] === '(') depth++;
        if (s[i] === ')' && --depth === 0) break;
      }
      i++;
      yield s.slice(start, i);
      continue;
    }
    if (c === '[' || c === ']' || c === '{' || c === '}') {
      i++;
      yield c;
      continue;
    }
    if (c === '<' && s[i + 1] === '<') {
      i += 2;
      yield '<<';
      continue;
    }
    if (c === '>' && s[i + 1] === '>') {
      i += 2;
      yield '>>';
      continue;
    }
    if (c === '<') {
      const end = s.indexOf('>', i);
      yield s.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const start = i;
    i++;
    while (i < s.length && !/[\s()<>[\]{}/%]/.test(s[i] as string)) i++;
    yield s.slice(start, i);
  }
}

/** A stream's text (latin1), decoded. */
function streamText(st: unknown): string {
  return st instanceof PDFRawStream ? Buffer.from(decodePDFRawStream(st).decode()).toString('latin1') : '';
}

/** The decoded content of a page (its streams joined) and its resources. */
function pageContent(doc: PDFDocument, pageIndex: number): { text: string; resources: PDFDict | undefined } {
  const page = doc.getPages()[pageIndex];
  if (!page) throw new Error(`no page ${pageIndex + 1}`);
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r as PDFRef)) : [contents];
  return { text: streams.map(streamText).join('\n'), resources: page.node.Resources() };
}

/**
 * Every rectangle page `page` (1-based) of `pdfFile` fills, in mm from the top-left corner, with what the
 * forms it draws fill (a page printed once draws its static layer as forms: engine/pdf/compose-layers.ts).
 */
export async function filledRects(pdfFile: string, page: number): Promise<FilledRect[]> {
  const doc = await PDFDocument.load(readFileSync(pdfFile));
  const heightPt = (doc.getPages()[page - 1] as { getHeight(): number }).getHeight();
  const out: FilledRect[] = [];
  const { text, resources } = pageContent(doc, page - 1);
  walk(doc, text, resources, [1, 0, 0, 1, 0, 0], heightPt, out);
  return out;
}

function walk(doc: PDFDocument, content: string, resources: PDFDict | undefined, start: Matrix, heightPt: number, out: FilledRect[]): void {
  let ctm: Matrix = start;
  const stack: Matrix[] = [];
  let operands: string[] = [];
  let pending: [number, number, number, number][] = [];
  let fill = '0 0 0';
  for (const t of tokens(content)) {
    if (/^[-+.\d]/.test(t) || t.startsWith('/') || t.startsWith('(') || t.startsWith('<') || t === '[' || t === ']' || t === '>>') {
      operands.push(t);
      continue;
    }
    const n = operands.map(Number);
    switch (t) {
      case 'q':
        stack.push(ctm);
        break;
      case 'Q':
        ctm = stack.pop() ?? [1, 0, 0, 1, 0, 0];
        break;
      case 'cm':
        ctm = multiply(n as Matrix, ctm);
        break;
      case 'rg':
        fill = operands.join(' ');
        break;
      case 'Do': {
        const xobjects = resources?.lookup(PDFName.of('XObject'));
        const form = xobjects instanceof PDFDict ? doc.context.lookup(xobjects.get(PDFName.of((operands[0] ?? '').slice(1)))) : undefined;
        if (form instanceof PDFRawStream && form.dict.get(PDFName.of('Subtype')) === PDFName.of('Form')) {
          const matrix = form.dict.lookup(PDFName.of('Matrix'));
          const m =
            matrix instanceof PDFArray ? (matrix.asArray().map((v) => Number(v.toString())) as Matrix) : ([1, 0, 0, 1, 0, 0] as Matrix);
          const own = form.dict.lookup(PDFName.of('Resources'));
          walk(doc, streamText(form), own instanceof PDFDict ? own : undefined, multiply(m, ctm), heightPt, out);
        }
        break;
      }
      case 're': {
        const [x, y, w, h] = n as [number, number, number, number];
        const pts = [
          [x, y],
          [x + w, y + h],
        ].map(([px, py]) => [
          ctm[0] * (px as number) + ctm[2] * (py as number) + ctm[4],
          ctm[1] * (px as number) + ctm[3] * (py as number) + ctm[5],
        ]) as [[number, number], [number, number]];
        const [x0, x1] = [Math.min(pts[0][0], pts[1][0]), Math.max(pts[0][0], pts[1][0])];
        const [y0, y1] = [Math.min(pts[0][1], pts[1][1]), Math.max(pts[0][1], pts[1][1])];
        pending.push([x0, y0, x1, y1]);
        break;
      }
      case 'f':
      case 'f*':
      case 'F':
        for (const [x0, y0, x1, y1] of pending) {
          out.push({
            x: x0 * MM_PER_PT,
            y: (heightPt - y1) * MM_PER_PT,
            width: (x1 - x0) * MM_PER_PT,
            height: (y1 - y0) * MM_PER_PT,
            fill,
          });
        }
        pending = [];
        break;
      case 'n':
      case 'W':
      case 'W*':
      case 'S':
      case 's':
      case 'B':
      case 'B*':
      case 'b':
      case 'b*':
        if (t !== 'W' && t !== 'W*') pending = [];
        break;
      default:
        break;
    }
    operands = [];
  }
}

/** The rules among a page's fills: rectangles thinner than 1 mm and at least 2 mm long. */
export function rulesOf(rects: readonly FilledRect[]): (FilledRect & { thickness: number; horizontal: boolean })[] {
  return rects
    .map((r) => ({ ...r, thickness: Math.min(r.width, r.height), horizontal: r.width >= r.height }))
    .filter((r) => r.thickness < 1 && Math.max(r.width, r.height) >= 2);
}
