import { PrintError } from '../errors.ts';
import type { VtPart } from '../pdf/pdfvt.ts';
import type { TargetSummary } from './target.ts';

/**
 * The OutputIntent of office PDF/VT: sRGB, the colour space Chromium draws in. PDF/X-4 takes an RGB output
 * intent, so office output needs no colour conversion to be PDF/X. The profile is Debian's
 * icc-profiles-free (scripts/setup.sh installs it), v2, device class monitor.
 */
export const OFFICE_INTENT = {
  icc: '/usr/share/color/icc/sRGB.icc',
  identifier: 'sRGB IEC61966-2.1',
  info: 'sRGB IEC61966-2.1',
};

/**
 * The document parts of a finished run, in page order. Trim pages: one part per record, its pages (a
 * record's pages are consecutive) and its key. Imposed sheets: a sheet holds several records and a page
 * may belong to one part only (ISO 16612-2; ISO 32000-2, 14.12: leaves partition the pages in order), so
 * a record cannot be a part of its own: one part per sheet (its front and back), naming its records'
 * keys in slot order, which is what a RIP caches and a press counts by.
 */
export function documentParts(
  summary: TargetSummary,
  sides: number,
  imposed: boolean,
  keyOf: (position: number) => string | undefined,
): { parts: VtPart[]; level: 'record' | 'sheet' } {
  const key = (record: number) => keyOf(record - 1) || `record ${record}`;
  if (!imposed) {
    const records = [...summary.records].sort((a, b) => a.firstPage - b.firstPage);
    let next = 1;
    const parts = records.map((r) => {
      if (r.firstPage !== next) throw new PrintError('RENDER', `record ${r.record} starts on page ${r.firstPage}, not ${next}`);
      next = r.lastPage + 1;
      return { pages: r.lastPage - r.firstPage + 1, keys: [key(r.record)] };
    });
    return { parts, level: 'record' };
  }
  const sheets = Math.ceil(summary.pageCount / sides);
  const slots: { slot: number; key: string }[][] = Array.from({ length: sheets }, () => []);
  for (const r of summary.records) {
    for (const p of r.placements ?? []) if (p.side === 'front') slots[p.sheet - 1]?.push({ slot: p.slot, key: key(r.record) });
  }
  return {
    parts: slots.map((s) => ({ pages: sides, keys: s.sort((a, b) => a.slot - b.slot).map((e) => e.key) })),
    level: 'sheet',
  };
}
