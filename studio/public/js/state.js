// What every part of the studio page shares: the page's state, element lookup, JSON fetches and the
// status line.

export const $ = (id) => document.getElementById(id);

export const state = {
  layouts: [],
  broken: [],
  fields: {},
  layout: undefined,
  /** { kind: 'sample' | 'golden', index | id } */
  source: undefined,
  record: {},
  side: 0, // index of the side, or -1 for every side
  results: new Map(), // page → { png, fitting, ms }
  fieldErrors: {},
  problems: [],
  renderProblems: [],
  seq: 0,
  stale: false,
};

export async function getJson(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  return { res, body };
}

export function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}
