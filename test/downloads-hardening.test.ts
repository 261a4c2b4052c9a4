// Downloads an integrator cannot misread (issue 29, findings 5 and 6), on a real service on loopback: a 416
// answer is a problem and no file to save; If-Range compares entity tags strongly (RFC 9110, 13.1.5) and
// dates exactly; a split ZIP never holds a name Windows opens as a device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeName } from '../engine/output/split-files.ts';
import { AUTH, JSON_AUTH, kokuhoRecords, startTestService, waitForJob, type TestService } from './helpers/service.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-downloads-'));
let svc: TestService;

/** Posts `body` as a kokuho-card job with `query` and waits until it is done. */
async function doneJob(body: unknown[], query = ''): Promise<string> {
  const res = await fetch(`${svc.base}/v1/jobs?layout=kokuho-card${query}`, {
    method: 'POST',
    headers: JSON_AUTH,
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  expect((await waitForJob(svc.base, id)).state).toBe('done');
  return id;
}

beforeAll(async () => {
  svc = await startTestService({ dataDir });
}, 60_000);
afterAll(async () => {
  await svc?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('downloads', () => {
  let url: string;
  let whole: Buffer;
  let etag: string;
  let lastModified: string;
  beforeAll(async () => {
    url = `${svc.base}/v1/jobs/${await doneJob(kokuhoRecords(2))}/result`;
    const res = await fetch(url, { headers: AUTH });
    whole = Buffer.from(await res.arrayBuffer());
    etag = res.headers.get('etag') ?? '';
    lastModified = res.headers.get('last-modified') ?? '';
  });
  const ranged = (ifRange: string) => fetch(url, { headers: { ...AUTH, range: 'bytes=100-199', 'if-range': ifRange } });

  it('answer a range past the end 416 as a problem, with Content-Range and no Content-Disposition', async () => {
    const res = await fetch(url, { headers: { ...AUTH, range: `bytes=${whole.length + 10}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect(await res.json()).toMatchObject({ status: 416, title: 'Range not satisfiable' });
  });

  it('give a strong ETag, and send the range when If-Range is that tag', async () => {
    expect(etag).toMatch(/^"[^"]+"$/);
    const res = await ranged(etag);
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(100, 200))).toBe(true);
  });

  it('send the whole file (200) when If-Range is a weak tag, even of the same file, or another tag', async () => {
    for (const tag of [`W/${etag}`, '"other"', `W/"other"`, `${etag}, "other"`]) {
      const res = await ranged(tag);
      expect(res.status, tag).toBe(200);
      expect(res.headers.get('content-range'), tag).toBeNull();
      expect(Buffer.from(await res.arrayBuffer()).equals(whole), tag).toBe(true);
    }
  });

  it('send the range when If-Range is the Last-Modified date exactly, the whole file for any other date', async () => {
    expect((await ranged(lastModified)).status).toBe(206);
    const at = (s: number) => new Date(Date.parse(lastModified) + s * 1000).toUTCString();
    expect((await ranged(at(-3600))).status).toBe(200); // the file changed since
    expect((await ranged(at(3600))).status).toBe(200); // not the file's date: RFC 9110 asks for an exact match
    expect((await ranged('yesterday')).status).toBe(200);
  });
});

describe('split ZIP names', () => {
  it('are never Windows device names, whatever the extension and case: renamed with _ and kept unique', async () => {
    const refs = ['NUL.x', 'con.txt', 'LPT9.pdf', 'aux.', 'Com1.tar.gz', '_NUL.x', 'nul.X', 'console'];
    const body = kokuhoRecords(refs.length).map((r, i) => ({ ...r, ref: refs[i] }));
    const id = await doneJob(body, '&split=record');
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-zipnames-'));
    try {
      const zip = join(dir, 'result.zip');
      writeFileSync(zip, Buffer.from(await (await fetch(`${svc.base}/v1/jobs/${id}/result`, { headers: AUTH })).arrayBuffer()));
      // Info-ZIP reads the archive: an independent reader
      const names = execFileSync('unzip', ['-Z1', zip], { env: { ...process.env, LC_ALL: 'C.UTF-8' } })
        .toString()
        .trim()
        .split('\n');
      const expected = [
        '_NUL.x.pdf',
        '_con.txt.pdf',
        '_LPT9.pdf.pdf',
        '_aux.pdf',
        '_Com1.tar.gz.pdf',
        '_NUL.x~2.pdf',
        '_nul.X~3.pdf',
        'console.pdf',
      ];
      expect(names).toEqual(expected);
      const manifest = (await (await fetch(`${svc.base}/v1/jobs/${id}/manifest`, { headers: AUTH })).json()) as {
        records: { file: string }[];
      };
      expect(manifest.records.map((r) => r.file)).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rename the device names a key cannot reach through the service too: superscript digits, spaces before the dot', () => {
    expect(['COM¹', 'lpt³.a', 'LPT²', 'aux .txt', 'CONIN$.x', 'conout$', 'prn', ' nul'].map(safeName)).toEqual([
      '_COM¹',
      '_lpt³.a',
      '_LPT²',
      '_aux .txt',
      '_CONIN$.x',
      '_conout$',
      '_prn',
      '_nul',
    ]);
    expect(['com10', 'nullx', 'auxiliary.txt', 'LPT'].map(safeName)).toEqual(['com10', 'nullx', 'auxiliary.txt', 'LPT']);
  });
});
