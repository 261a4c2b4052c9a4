/**
 * Takes a page's place in its print out of the page's drawing, so that a page draws with the same bytes
 * wherever it stood in the document Chromium printed (print once, docs/spec/interfaces.md).
 *
 * Chromium lays a printed document out as one tall column and draws each page's part of it in the
 * column's coordinates, moved into place by one transform: `3.125 0 0 3.125 0 -OFFSET cm` (CSS pixels to
 * the page's units, less the page's place in the column), after which every coordinate is the column's
 * (a page 60 cards down draws its text at y = 12319 where the first page draws it at 19). Pages are whole
 * pixels apart in the column, so the column's coordinates of a page's drawing are its own plus a whole
 * number, exactly (in the float32 Skia draws with) and the drawing itself is the same: this pass subtracts
 * the page's place from those coordinates and sets the transform's to 0.
 *
 * What is moved, in the column's space (after such a transform, before any other): the points of paths
 * (`m l c v y re`), the text matrix (`Tm`) and the place of a nested transform (`cm`, after which its own
 * space begins and nothing is moved). Every number moved is written as the shortest decimal that reads back
 * as the same float32, whether it moved or not, so the same page printed alone or in a run gives the
 * same bytes.
 */

/** Chromium's CSS pixel in the units of its page transform (0.24 pt): 1 / 0.32. */
const PX = 3.125;

/** The operand positions that are y coordinates, per operator, in the column's space. */
const Y_OPERANDS: Record<string, number[]> = {
  m: [1],
  l: [1],
  c: [1, 3, 5],
  v: [1, 3],
  y: [1, 3],
  re: [1],
  Tm: [5],
  cm: [5],
};

type Space = 'page' | 'column' | 'inner';

/** A token of a content stream: where it is in the text, and what it is. */
export interface Token {
  start: number;
  end: number;
  kind: 'number' | 'operator' | 'other';
}

/**
 * The content `text` (a content stream, latin1) with the page's place taken out. Answers `text` itself
 * when it has no column transform.
 */
export function withoutPageOffset(text: string): string {
  const out: string[] = [];
  let copied = 0;
  const operands: Token[] = [];
  const stack: { space: Space; shift: number }[] = [];
  let space: Space = 'page';
  let shift = 0;
  const replace = (t: Token, value: string) => {
    out.push(text.slice(copied, t.start), value);
    copied = t.end;
  };
  for (const t of tokens(text)) {
    if (t.kind !== 'operator') {
      operands.push(t);
      continue;
    }
    const op = text.slice(t.start, t.end);
    if (op === 'q') stack.push({ space, shift });
    else if (op === 'Q') ({ space, shift } = stack.pop() ?? { space: 'page', shift: 0 });
    else if (op === 'BI') {
      // An inline image's data is no operand: skip to its end.
      operands.length = 0;
      continue;
    } else if (op === 'cm' && operands.length === 6 && operands.every((o) => o.kind === 'number')) {
      const v = operands.map((o) => Number(text.slice(o.start, o.end)));
      if (space === 'page' && v[0] === PX && v[3] === PX && v[1] === 0 && v[2] === 0 && v[4] === 0) {
        shift = Math.fround(-(v[5] as number) / PX);
        space = 'column';
        replace(operands[5] as Token, '0');
      } else if (space === 'column') {
        replace(operands[5] as Token, float32Text(Math.fround(Math.fround(v[5] as number) - shift)));
        space = 'inner';
      }
    } else if (space === 'column' && op !== 'cm') {
      const ys = Y_OPERANDS[op];
      if (ys && operands.length >= (ys.at(-1) as number) + 1 && operands.every((o) => o.kind === 'number')) {
        for (const i of ys) {
          const o = operands[i] as Token;
          replace(o, float32Text(Math.fround(Math.fround(Number(text.slice(o.start, o.end))) - shift)));
        }
      }
    }
    operands.length = 0;
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}

/** The shortest decimal that reads back as the float32 `v`, written as Skia writes numbers (no leading 0). */
export function float32Text(v: number): string {
  if (Number.isInteger(v)) return String(v === 0 ? 0 : v);
  let s = '';
  for (let p = 1; p <= 9; p++) {
    s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) break;
  }
  s = String(Number(s)); // no exponent, no trailing zeros
  return s.replace(/^(-?)0\./, '$1.');
}

const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIM = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));

/** The tokens of a content stream: numbers, operators and the rest (names, strings, arrays' brackets). */
export function* tokens(text: string): Generator<Token> {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (WHITE.has(c)) {
      i++;
    } else if (c === 0x25) {
      // % comment to the end of the line
      while (i < n && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x28) {
      // ( string ), with nesting and escapes
      const start = i++;
      let depth = 1;
      while (i < n && depth > 0) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x28) depth++;
        else if (d === 0x29) depth--;
        i++;
      }
      yield { start, end: i, kind: 'other' };
    } else if (c === 0x3c && text.charCodeAt(i + 1) !== 0x3c) {
      const start = i;
      i = text.indexOf('>', i) + 1 || n;
      yield { start, end: i, kind: 'other' };
    } else if (DELIM.has(c)) {
      const start = i++;
      if (c === 0x2f) while (i < n && !WHITE.has(text.charCodeAt(i)) && !DELIM.has(text.charCodeAt(i))) i++;
      else if ((c === 0x3c || c === 0x3e) && text.charCodeAt(i) === c) i++;
      yield { start, end: i, kind: 'other' };
    } else {
      const start = i;
      while (i < n && !WHITE.has(text.charCodeAt(i)) && !DELIM.has(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      const kind = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(word) ? 'number' : 'operator';
      yield { start, end: i, kind };
      if (word === 'ID') {
        // inline image data up to EI
        const end = text.indexOf('EI', i);
        i = end < 0 ? n : end + 2;
      }
    }
  }
}
