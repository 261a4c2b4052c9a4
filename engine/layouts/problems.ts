import Handlebars from 'handlebars';
import postcss, { CssSyntaxError } from 'postcss';
import type { Layout } from './layouts.ts';

/** Something wrong in one of a layout's files, where a designer's editor can jump to it (1-based). */
export interface LayoutProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

interface ParseErrorHash {
  loc?: { first_line: number; first_column: number };
  line?: number;
}

// Handlebars' parser (made with jison) says where a syntax error is only in its message's text; its
// `parseError` receives the position too, so the error is thrown with it attached. Nothing else about
// parsing changes.
const parser = (Handlebars as unknown as { Parser: { parseError: unknown } }).Parser;
parser.parseError = (message: string, hash: ParseErrorHash) => {
  throw Object.assign(new Error(message), { hash });
};

/**
 * The syntax errors of a layout's templates, partials and style sheets, each with its file, line and
 * column: what must be mended before anything of the layout can print. Empty when every file parses.
 */
export function sourceProblems(layout: Layout): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  for (const { file, source } of templateFiles(layout)) {
    try {
      Handlebars.parse(source);
    } catch (err) {
      problems.push(templateProblem(file, err));
    }
  }
  for (const sheet of layout.styleSheets) {
    try {
      postcss.parse(sheet.source, { from: sheet.file });
    } catch (err) {
      if (!(err instanceof CssSyntaxError)) throw err;
      problems.push({ file: sheet.file, line: err.line ?? 1, column: err.column ?? 1, message: `CSS: ${err.reason}` });
    }
  }
  return problems;
}

/**
 * Where an error thrown while a layout's templates were filled in (strict mode: a name the engine does not
 * provide) comes from. Handlebars gives the line and column but not the file: it is the side template or
 * partial whose line there names what the message names.
 */
export function templateRunProblem(layout: Layout, err: unknown): LayoutProblem | undefined {
  const e = err as { message?: string; lineNumber?: number; column?: number };
  if (typeof e.message !== 'string' || e.lineNumber === undefined) return undefined;
  const name = /^"([^"]+)" not defined/.exec(e.message)?.[1];
  const message = e.message.replace(/ in \[object Object\]/, '').replace(/ - \d+:\d+$/, '');
  const line = e.lineNumber;
  const found = templateFiles(layout).find((f) => {
    const text = f.source.split('\n')[line - 1];
    return text !== undefined && (name === undefined || text.includes(name));
  });
  return { file: found?.file ?? layout.sideTemplates[0]?.file ?? layout.dir, line, column: (e.column ?? 0) + 1, message };
}

/** A layout's side templates and partials, each with its file. */
function templateFiles(layout: Layout): { file: string; source: string }[] {
  return [
    ...layout.sideTemplates.map((s) => ({ file: s.file, source: s.source })),
    ...Object.entries(layout.partialSources).map(([name, source]) => ({ file: layout.partialFiles[name] ?? name, source })),
  ];
}

function templateProblem(file: string, err: unknown): LayoutProblem {
  const e = err as Error & { hash?: ParseErrorHash; lineNumber?: number; column?: number };
  const loc = e.hash?.loc;
  if (loc) return { file, line: loc.first_line, column: loc.first_column + 1, message: firstLines(e.message) };
  // Handlebars' own checks (a block closed by another name) carry lineNumber and column.
  if (e.lineNumber !== undefined) {
    return { file, line: e.lineNumber, column: (e.column ?? 0) + 1, message: e.message.replace(/ - \d+:\d+$/, '') };
  }
  const line = Number(/on line (\d+)/.exec(e.message)?.[1] ?? 1);
  return { file, line, column: 1, message: firstLines(e.message) };
}

/** A parser message without its excerpt of the source (the studio shows the place itself). */
function firstLines(message: string): string {
  const [head = '', , , ...rest] = message.split('\n');
  return rest.length ? `${head.replace(/:$/, '')}: ${rest.join(' ')}` : head;
}

/**
 * The line and column of the `index`-th element (0-based) of the top-level JSON array in `text`: where a
 * sample record is in its samples file. Strings are skipped whole, so brackets inside them do not count.
 */
export function arrayElementPosition(text: string, index: number): { line: number; column: number } | undefined {
  let depth = 0;
  let element = -1;
  let expectStart = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (expectStart && depth === 1 && ++element === index) return lineColumn(text, i);
      expectStart = false;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (/\s/.test(c ?? '')) continue;
    if (c === '[' || c === '{') {
      if (depth === 0 && c === '[') {
        depth = 1;
        expectStart = true;
        continue;
      }
      if (expectStart && depth === 1 && ++element === index) return lineColumn(text, i);
      expectStart = false;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectStart = true;
    } else if (expectStart && depth === 1) {
      if (++element === index) return lineColumn(text, i);
      expectStart = false;
    }
  }
  return undefined;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
