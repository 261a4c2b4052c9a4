// The insurer profile the record's insurer prints from: shown, edited and saved (GET/PUT /api/insurers).
import { $, getJson, state } from './state.js';
import { refresh } from './preview.js';

/** Shows the profile of the record's insurer (its name, contact and seal print from it). */
export async function showInsurer() {
  const number = state.record.insurerNumber;
  $('insurer-error').textContent = '';
  if (typeof number !== 'string') {
    $('insurer-panel').hidden = true;
    return;
  }
  const { res, body } = await getJson(`/api/insurers/${encodeURIComponent(number)}`);
  $('insurer-panel').hidden = false;
  if (!res.ok) {
    $('insurer-file').textContent = '';
    $('insurer-json').value = '';
    $('insurer-error').textContent = body.title ?? `HTTP ${res.status}`;
    return;
  }
  $('insurer-file').textContent = body.file; // insurers/320036.json: the studio shows no absolute path
  $('insurer-json').value = JSON.stringify(body.profile, null, 2);
}

export async function saveInsurer() {
  const number = state.record.insurerNumber;
  let profile;
  try {
    profile = JSON.parse($('insurer-json').value);
  } catch (err) {
    $('insurer-error').textContent = `not JSON: ${err.message}`;
    return;
  }
  const { res, body } = await getJson(`/api/insurers/${encodeURIComponent(number)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(profile),
  });
  $('insurer-error').textContent = res.ok ? '' : (body.title ?? `HTTP ${res.status}`);
  if (res.ok) await refresh('profile saved');
}
