import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A word of a PDF page as poppler's pdftotext -bbox finds it, in mm from the page's top-left corner. */
export interface Word {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const MM_PER_PT = 25.4 / 72;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

/** The words of page `page` (from 1) of `pdf`. */
export async function pageWords(pdf: string, page: number): Promise<Word[]> {
  const { stdout } = await run('pdftotext', ['-f', String(page), '-l', String(page), '-bbox', pdf, '-'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const words: Word[] = [];
  for (const m of stdout.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
    words.push({
      text: (m[5] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (e) => ENTITIES[e] ?? e),
      x0: Number(m[1]) * MM_PER_PT,
      y0: Number(m[2]) * MM_PER_PT,
      x1: Number(m[3]) * MM_PER_PT,
      y1: Number(m[4]) * MM_PER_PT,
    });
  }
  return words;
}

/**
 * The text of the words whose centre lies in `box` ([x, y, w, h] mm), line by line, in reading order;
 * words on one line apart by more than a third of their height are joined with a space.
 */
export function textIn(words: readonly Word[], box: readonly [number, number, number, number]): string {
  const [x, y, w, h] = box;
  const inside = words
    .filter((wd) => {
      const cx = (wd.x0 + wd.x1) / 2;
      const cy = (wd.y0 + wd.y1) / 2;
      return cx >= x && cx <= x + w && cy >= y && cy <= y + h;
    })
    .sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  const lines: Word[][] = [];
  for (const wd of inside) {
    const line = lines.at(-1);
    const last = line?.at(-1);
    if (line && last && wd.y0 < (last.y0 + last.y1) / 2) line.push(wd);
    else lines.push([wd]);
  }
  return lines
    .map((line) =>
      line
        .sort((a, b) => a.x0 - b.x0)
        .map((wd, i) => {
          const prev = line[i - 1];
          return prev && wd.x0 - prev.x1 > (wd.y1 - wd.y0) / 3 ? ` ${wd.text}` : wd.text;
        })
        .join(''),
    )
    .join('\n');
}
