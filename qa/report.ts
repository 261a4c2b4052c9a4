import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { RunReport, type Change, type ReportEntry, type ReportView } from './run-report.ts';

/** One compared page of the golden check. */
export interface ReportPage {
  /** Where the page belongs, e.g. "kokuho-card / under-70 / page 1". */
  title: string;
  /** The case the page is of, e.g. "kokuho-card / under-70". */
  group: string;
  status: 'same' | 'different' | 'missing' | 'written';
  /** For a written page: what it was before (missing, same or different from the old golden). */
  previous?: 'same' | 'different' | 'missing';
  diffPixels: number;
  /** The differing region, in millimetres from the page's top-left corner. */
  regionMm: { x: number; y: number; width: number; height: number } | null;
  /** The density the page was compared at. */
  dpi?: number;
  /** What else is wrong with this page (size, count, meaning checks), in words. */
  notes: string[];
  /** The old golden (expected), the new render (actual) and their difference. */
  images?: { expected?: Buffer; actual?: Buffer; diff?: Buffer };
}

/** A whole golden check, as the report shows it. */
export interface Report {
  title: string;
  ok: boolean;
  /** Lines said before the pages: environment, counts, problems that are not a page's. */
  notes: string[];
  pages: ReportPage[];
}

/**
 * Writes the golden check's report with the proof diff's writer (run-report.ts): one entry per case, its
 * pages with the old golden, the new render and their difference, so that an update is checked by looking
 * at what it wrote. A case is `changed` when a page differs from its golden (written or not), `added` when
 * a golden was missing, and marked written when the update wrote it. Answers the index's path.
 */
export async function writeReport(dir: string, report: Report): Promise<string> {
  const out = new RunReport(dir, { title: report.title, aligned: 'case', referenceLabel: 'golden', candidateLabel: 'this render' });
  for (const n of report.notes) out.note(n);
  const groups = new Map<string, ReportPage[]>();
  for (const p of report.pages) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
  let n = 0;
  for (const [group, pages] of groups) {
    n++;
    const was = pages.map((p) => (p.status === 'written' ? p.previous : p.status));
    const status = was.includes('missing') ? 'added' : was.every((w) => w === 'same') ? 'same' : 'changed';
    const entry: ReportEntry = {
      key: group,
      title: group,
      status,
      changes: [],
      notes: pages.flatMap((p) => p.notes.map((t) => `${p.title}: ${t}`)),
      views: [],
      ...(pages.some((p) => p.status === 'written') ? { updated: true } : {}),
    };
    for (const [i, p] of pages.entries()) {
      const imgs = p.images;
      if (!imgs || (!imgs.expected && !imgs.actual)) continue;
      const name = (kind: string) => `c${n}-${i + 1}-${kind}.png`;
      const save = (kind: string, png: Buffer | undefined) => {
        if (!png) return undefined;
        writeFileSync(out.imagePath(name(kind)), png);
        return name(kind);
      };
      const meta = await sharp((imgs.actual ?? imgs.expected) as Buffer).metadata();
      const dpi = p.dpi ?? 300;
      const change: Change[] = p.regionMm
        ? [
            {
              page: i + 1,
              boxMm: [p.regionMm.x, p.regionMm.y, p.regionMm.width, p.regionMm.height].map(
                (v) => Math.round(v * 100) / 100,
              ) as Change['boxMm'],
            },
          ]
        : [];
      const view: ReportView = {
        label: `${p.title}: ${p.status === 'written' ? `written (was ${p.previous})` : p.status}`,
        widthMm: ((meta.width ?? 1) / dpi) * 25.4,
        heightMm: ((meta.height ?? 1) / dpi) * 25.4,
        diffPixels: p.diffPixels,
        changes: change,
        ...(save('old', imgs.expected) ? { reference: name('old') } : {}),
        ...(save('new', imgs.actual) ? { candidate: name('new') } : {}),
        ...(save('diff', imgs.diff) ? { diff: name('diff') } : {}),
      };
      entry.changes.push(...change);
      entry.views.push(view);
      if (!entry.thumb) {
        await sharp((imgs.actual ?? imgs.expected) as Buffer)
          .resize({ width: 320 })
          .toFile(out.imagePath(name('thumb')));
        entry.thumb = name('thumb');
      }
    }
    await out.add(entry);
  }
  return (await out.finish()).index;
}
