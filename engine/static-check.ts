import type { Engine } from './render.ts';
import type { Layout } from './layouts/layouts.ts';

/** A static layer that holds something of the record (engine/browser/layers.ts): where, and what. */
export interface StaticLeak {
  layout: string;
  /** The element: its path from the page, tags with their classes (`section.sheet > dl.items > dd.name`). */
  element: string;
  /** What it holds in the two renders, cut to 80 characters. */
  first: string;
  second: string;
}

/**
 * The fields of a record that are the person's (records.md), changed by `otherPerson` for the second
 * render. Left as they are: the insurer's (number, name, prefecture, address), what decides a layout's
 * variant (relationship, copayRate, specialCare, sexOnBack), the postal code (the 宛名 block's own, a
 * marked box) and the ids that group envelopes.
 */
const DIGITS = ['symbol', 'number', 'branch', 'myNumberLast4', 'address', 'mailingAddress', 'employerAddress'];
const TEXTS = ['name', 'nameKana', 'householderName', 'addressee', 'remarks', 'employerName'];
const DATES = ['birthDate', 'qualifiedDate', 'issueDate', 'expiryDate', 'effectiveDate'];

/** Another person with the same variant: every digit of their numbers one up, names and texts reversed, dates a day on. */
export function otherPerson(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const key of DIGITS) {
    const v = out[key];
    if (typeof v === 'string') out[key] = v.replace(/[0-9]/g, (d) => String((Number(d) + 1) % 10));
  }
  for (const key of TEXTS) {
    const v = out[key];
    if (typeof v === 'string') out[key] = [...v].reverse().join('');
  }
  for (const key of DATES) {
    const v = out[key];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) {
      const d = new Date(`${v}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 1);
      out[key] = d.toISOString().slice(0, 10);
    }
  }
  if (out.sex === '男') out.sex = '女';
  else if (out.sex === '女') out.sex = '男';
  if (typeof out.portalUrl === 'string') out.portalUrl = `${out.portalUrl}${out.portalUrl.includes('?') ? '&' : '?'}p=2`;
  return out;
}

/**
 * The static-layer check: renders `records` and the same people made others (otherPerson) and answers
 * every static layer of the second render that the first has not, as the element where it first differs
 * from the most alike static layer of the first. A layout whose template prints a record value outside a
 * marked box (`data-field`, `data-var`) has one, and would print that value into a form shared by every
 * page; an empty answer means no static layer holds anything of the record.
 */
export async function staticLeaks(engine: Engine, layout: Layout, records: readonly Record<string, unknown>[]): Promise<StaticLeak[]> {
  const markupOf = async (rs: readonly Record<string, unknown>[]) => {
    const seen = new Set<string>();
    await engine.renderPdf(layout, rs, { staticMarkup: (_chunk, pages) => pages.forEach((p) => seen.add(p)) });
    return seen;
  };
  const first = await markupOf(records);
  const second = await markupOf(records.map(otherPerson));
  const leaks: StaticLeak[] = [];
  const named = new Set<string>();
  for (const markup of second) {
    if (first.has(markup)) continue;
    let best = { at: -1, other: '' };
    for (const other of first) {
      const at = commonPrefix(markup, other);
      if (at > best.at) best = { at, other };
    }
    const leak = { layout: layout.id, ...difference(best.other, markup) };
    const key = `${leak.element}\u0000${leak.first}\u0000${leak.second}`;
    if (!named.has(key)) {
      named.add(key);
      leaks.push(leak);
    }
  }
  return leaks;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

const TOKEN = /<\/?([a-zA-Z][\w-]*)([^>]*)>|[^<]+/g;

/** The element of two static markups (Chromium's serialisation) where they first differ, and what each holds there. */
function difference(a: string, b: string): Omit<StaticLeak, 'layout'> {
  const ta = [...a.matchAll(TOKEN)];
  const tb = [...b.matchAll(TOKEN)];
  const path: string[] = [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x?.[0] !== y?.[0]) {
      const cut = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim().slice(0, 80);
      const here = y?.[1] && !y[0].startsWith('</') ? [...path, label(y[1], y[2] ?? '')] : path;
      return { element: here.join(' > '), first: cut(x?.[0]), second: cut(y?.[0]) };
    }
    if (!x || !x[1]) continue;
    if (x[0].startsWith('</')) path.pop();
    else if (!x[0].endsWith('/>') && !VOID.has(x[1].toLowerCase())) path.push(label(x[1], x[2] ?? ''));
  }
  return { element: path.join(' > '), first: '', second: '' };
}

const VOID = new Set(['img', 'br', 'hr', 'meta', 'input', 'link', 'wbr', 'col', 'source', 'area', 'base', 'embed', 'track']);

function label(tag: string, attributes: string): string {
  const cls = /\bclass="([^"]*)"/.exec(attributes)?.[1];
  return `${tag.toLowerCase()}${cls ? `.${cls.trim().split(/\s+/).join('.')}` : ''}`;
}
