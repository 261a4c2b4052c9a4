// What the studio shows a designer when a layout's files are wrong: file, line, column and message.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LAYOUTS_DIR, arrayElementPosition, loadLayout, sourceProblems, templateRunProblem, type Layout } from '../engine/index.ts';
import { compileLayout } from '../engine/template/document.ts';

const base = loadLayout(join(LAYOUTS_DIR, 'kokuho-card'));
const front = base.sideTemplates[0]!;

/** The layout with its front template (or a style sheet) replaced by `text`. */
function withFront(text: string): Layout {
  return { ...base, sideTemplates: [{ ...front, source: text }, ...base.sideTemplates.slice(1)] };
}

describe('layout problems', () => {
  it('are none for every layout as shipped', () => {
    for (const id of ['kokuho-card', 'kouki-card', 'kenpo-card', 'kokuho-notice', 'kenpo-notice', 'kenpo-notice-card', 'kouki-notice']) {
      expect(sourceProblems(loadLayout(join(LAYOUTS_DIR, id)))).toEqual([]);
    }
  });

  it('name the file, line and column of a template syntax error', () => {
    expect(sourceProblems(withFront('<p>\n  <b>{{name</b>\n'))).toEqual([
      { file: front.file, line: 2, column: expect.any(Number), message: expect.stringMatching(/^Parse error on line 2/) },
    ]);
    expect(sourceProblems(withFront('<p>\n{{#if name}}\n{{/unless}}\n'))).toEqual([
      { file: front.file, line: 2, column: 4, message: "if doesn't match unless" },
    ]);
  });

  it('name the style sheet, line and column of a CSS syntax error', () => {
    const sheet = base.styleSheets[1]!;
    const broken = { ...base, styleSheets: [base.styleSheets[0]!, { ...sheet, source: '.a { color: red; }\n.b { color: blue;\n' }] };
    expect(sourceProblems(broken)).toEqual([{ file: sheet.file, line: 2, column: 1, message: 'CSS: Unclosed block' }]);
  });

  it('find the file of a name a template uses that the engine does not provide', () => {
    const layout = withFront('<p>\n  <b>{{name}}</b> {{nickname}}\n</p>');
    let thrown: unknown;
    try {
      compileLayout(layout).sides[0]!.render({ name: 'x' } as never);
    } catch (err) {
      thrown = err;
    }
    expect(templateRunProblem(layout, thrown)).toEqual({ file: front.file, line: 2, column: 21, message: '"nickname" not defined' });
  });

  it('find where a sample record is in its samples file', () => {
    const text = '[\n  {"name": "a, ]"},\n  {"name": "b"}, 3\n]';
    expect(arrayElementPosition(text, 0)).toEqual({ line: 2, column: 3 });
    expect(arrayElementPosition(text, 1)).toEqual({ line: 3, column: 3 });
    expect(arrayElementPosition(text, 2)).toEqual({ line: 3, column: 18 });
    expect(arrayElementPosition(text, 3)).toBeUndefined();
  });
});
