// The studio against a hostile page (issue 29, findings 2 and 3), on a real studio on loopback: it answers
// only requests addressed to itself (DNS rebinding), writes and prints only for its own page, shows no
// absolute path, answers every error as problem+json, caps the dpi of a preview, and refuses a profile or a
// layout that names a file outside its folder with one message whether the file exists or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, LAYOUTS_DIR, SAMPLE_INSURERS_DIR } from '../engine/index.ts';
import { GOLDEN_DIR } from '../qa/index.ts';
import { startStudio, type Studio } from '../studio/studio.ts';

let engine: Engine;
let studio: Studio;
let work: string;
let layouts: string;
let insurers: string;
let port: number;
let own: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'shikaku-studio-hardening-'));
  layouts = join(work, 'layouts');
  cpSync(LAYOUTS_DIR, layouts, { recursive: true });
  insurers = join(work, 'insurers');
  cpSync(SAMPLE_INSURERS_DIR, insurers, { recursive: true });
  engine = await Engine.start({ tabs: 1, insurersDir: insurers });
  studio = await startStudio({ port: 0, layoutsDir: layouts, goldenDir: GOLDEN_DIR, engine });
  port = Number(new URL(studio.url).port);
  own = `127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await studio?.close();
  await engine?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Answer {
  status: number;
  type: string;
  text: string;
  json: () => Record<string, unknown>;
}

/** A request with exactly these headers (node:http: fetch would not send another Host). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: own, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          text,
          json: () => JSON.parse(text) as Record<string, unknown>,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const JSON_BODY = { 'content-type': 'application/json' };
const profileFile = () => join(insurers, '320036.json');
const profile = () => JSON.parse(readFileSync(profileFile(), 'utf8')) as Record<string, unknown>;
const sample = () => (JSON.parse(readFileSync(join(layouts, 'kokuho-card', 'samples.json'), 'utf8')) as unknown[])[0];

/** A 403 problem, its title saying why. */
function expectForbidden(answer: Answer): void {
  expect(answer.status).toBe(403);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  expect(answer.json()).toMatchObject({ status: 403, title: expect.stringMatching(/studio/) });
}

describe('the studio answers only requests addressed to itself', () => {
  it('refuses another Host (DNS rebinding) for reading, writing and making layouts, and changes nothing', async () => {
    const host = { host: `attacker.example:${port}` };
    expectForbidden(await send('GET', '/api/insurers/320036', host));
    expectForbidden(await send('GET', '/', host));
    expectForbidden(await send('GET', '/api/layouts', host));
    const before = readFileSync(profileFile(), 'utf8');
    expectForbidden(await send('PUT', '/api/insurers/320036', { ...host, ...JSON_BODY }, JSON.stringify({ ...profile(), name: '攻撃' })));
    expect(readFileSync(profileFile(), 'utf8')).toBe(before);
    expectForbidden(await send('POST', '/api/layouts', { ...host, ...JSON_BODY }, JSON.stringify({ id: 'planted', from: 'kokuho-card' })));
    expect(existsSync(join(layouts, 'planted'))).toBe(false);
    for (const other of [`127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.attacker.example:${port}`, `[::1]:${port}`]) {
      expectForbidden(await send('GET', '/api/layouts', { host: other }));
    }
  });

  it('answers its own names: 127.0.0.1 and localhost with its port, in any case', async () => {
    for (const host of [own, `localhost:${port}`, `LocalHost:${port}`]) {
      expect((await send('GET', '/api/insurers/320036', { host })).status, host).toBe(200);
    }
  });
});

describe('the studio writes and prints only for its own page', () => {
  const record = () => JSON.stringify(sample());
  it('refuses a write from a page of another origin, or a sandboxed one, and keeps the file', async () => {
    const before = readFileSync(profileFile(), 'utf8');
    const put = (headers: Record<string, string>) =>
      send('PUT', '/api/insurers/320036', { ...JSON_BODY, ...headers }, JSON.stringify({ ...profile(), name: '攻撃' }));
    expectForbidden(await put({ origin: 'http://attacker.example' }));
    expectForbidden(await put({ origin: 'null' }));
    expectForbidden(await put({ origin: `http://localhost:${port}` })); // another origin than the one it is asked at
    expectForbidden(await put({ 'sec-fetch-site': 'cross-site' }));
    expectForbidden(await put({ 'sec-fetch-site': 'same-site' }));
    expect(readFileSync(profileFile(), 'utf8')).toBe(before);
    expectForbidden(
      await send('POST', '/api/layouts', { ...JSON_BODY, origin: 'http://attacker.example' }, '{"id":"planted","from":"kokuho-card"}'),
    );
    expect(existsSync(join(layouts, 'planted'))).toBe(false);
  });

  it('refuses to print for another page, by POST or by GET', async () => {
    const cross = { origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site' };
    expectForbidden(await send('POST', '/api/preview?layout=kokuho-card&page=1', { ...JSON_BODY, ...cross }, record()));
    expectForbidden(await send('POST', '/api/proof?layout=kokuho-card&page=1', { ...JSON_BODY, ...cross }, record()));
    expectForbidden(await send('POST', '/api/pdf?layout=kokuho-card', { ...JSON_BODY, ...cross }, record()));
    // an <img> of another site sends no Origin, but a browser says where it comes from
    expectForbidden(await send('GET', '/api/preview?layout=kokuho-card&sample=0&page=1', { 'sec-fetch-site': 'cross-site' }));
    expectForbidden(await send('GET', '/api/problems?layout=kokuho-card', { 'sec-fetch-site': 'cross-site' }));
    // however express routes the path
    expectForbidden(await send('GET', '/API/Preview/?layout=kokuho-card&sample=0&page=1', { 'sec-fetch-site': 'cross-site' }));
  });

  it('prints for its own page and for a program that sends no Origin (curl, a script)', async () => {
    const ownPage = { origin: `http://${own}`, 'sec-fetch-site': 'same-origin' };
    const preview = await send('POST', '/api/preview?layout=kokuho-card&page=1', { ...JSON_BODY, ...ownPage }, record());
    expect(preview.status).toBe(200);
    expect(preview.type).toBe('image/png');
    expect((await send('GET', '/api/preview?layout=kokuho-card&sample=0&page=1', { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await send('GET', '/api/preview?layout=kokuho-card&sample=0&page=1')).status).toBe(200);
  });
});

describe('the studio shows no absolute path and answers every error as problem+json', () => {
  it('names an insurer profile by its folder, not where it is on the disk', async () => {
    const shown = await send('GET', '/api/insurers/320036');
    expect(shown.json().file).toBe('insurers/320036.json');
    expect(shown.text).not.toContain(work);
    const missing = await send('GET', '/api/insurers/01130012');
    expect(missing.status).toBe(404);
    expect(missing.json().title).toBe('no insurer profile insurers/01130012.json');
    const refused = await send('PUT', '/api/insurers/320036', JSON_BODY, JSON.stringify({ ...profile(), name: '' }));
    expect(refused.status).toBe(400);
    expect(refused.json().title).toMatch(/^insurer profile insurers\/320036\.json: name/);
    expect(refused.text).not.toContain(work);
  });

  it('answers a body that does not parse 400 as a problem, without a stack or a path', async () => {
    for (const path of ['/api/preview?layout=kokuho-card&page=1', '/api/insurers/320036', '/api/layouts']) {
      const bad = await send(path.startsWith('/api/insurers') ? 'PUT' : 'POST', path, JSON_BODY, '{"name": ');
      expect(bad.status, path).toBe(400);
      expect(bad.type, path).toMatch(/^application\/problem\+json/);
      expect(bad.json().title, path).toMatch(/^the body is not JSON/);
      expect(bad.text).not.toMatch(/ at |node_modules|<html|<pre/i);
      expect(bad.text).not.toContain(process.cwd());
    }
    const large = await send('PUT', '/api/insurers/320036', JSON_BODY, JSON.stringify({ name: 'x'.repeat(300_000) }));
    expect(large.status).toBe(413);
    expect(large.type).toMatch(/^application\/problem\+json/);
    expect(large.text).not.toContain(process.cwd());
  });

  it('answers what it does not have 404 as a problem', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing'],
      ['DELETE', '/api/insurers/320036'],
      ['GET', '/%E0%A4%A'],
    ] as const) {
      const answer = await send(method, path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.type, path).toMatch(/^application\/problem\+json/);
      expect(answer.text).not.toContain(process.cwd());
    }
  });
});

describe('the studio caps the resolution of a preview as the service does', () => {
  it('refuses dpi over 600 at once, naming the bound, and prints at 600', async () => {
    const t0 = Date.now();
    const high = await send('GET', '/api/preview?layout=kokuho-card&sample=0&page=1&dpi=1200');
    expect(high.status).toBe(400);
    expect(high.type).toMatch(/^application\/problem\+json/);
    expect(high.json().title).toBe('dpi must be a whole number from 36 to 600; received 1200');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await send('POST', '/api/proof?layout=kokuho-card&page=1&dpi=601', JSON_BODY, JSON.stringify(sample()))).status).toBe(400);
    const at600 = await send('GET', '/api/preview?layout=kokuho-card&sample=0&page=1&dpi=600');
    expect(at600.status).toBe(200);
  });
});

describe('the studio loads no file outside a profile or layout folder', () => {
  let outside: string;
  beforeAll(() => {
    outside = join(work, 'elsewhere');
    mkdirSync(join(outside, 'there'), { recursive: true });
    cpSync(join(SAMPLE_INSURERS_DIR, 'seals', 'izumo.svg'), join(outside, 'there', 'seal.svg'));
  });

  it('refuses a profile whose seal is outside its folder, the same answer whether the file exists or not', async () => {
    const before = readFileSync(profileFile(), 'utf8');
    const put = (seal: string) => send('PUT', '/api/insurers/320036', JSON_BODY, JSON.stringify({ ...profile(), seal }));
    const there = await put(join(outside, 'there', 'seal.svg'));
    const missing = await put(join(outside, 'missing', 'seal.svg'));
    expect(there.status).toBe(400);
    expect(missing.status).toBe(400);
    expect(there.json().title).toBe(
      'insurer profile insurers/320036.json: seal: "…/seal.svg" is not a file inside the profile\'s folder; a profile may name only its own folder\'s files',
    );
    expect(missing.text).toBe(there.text);
    expect((await put('../elsewhere/there/seal.svg')).json().title).toMatch(
      /seal: "\.\.\/elsewhere\/there\/seal\.svg" is not a file inside/,
    );
    expect(readFileSync(profileFile(), 'utf8')).toBe(before);
  });

  it('lists a layout whose image is outside its folder as broken, naming the field, the same whether the file exists or not', async () => {
    const problemsOf = async (file: string) => {
      const dir = join(layouts, 'kokuho-card-logo');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'layout.json'),
        JSON.stringify({
          id: 'kokuho-card-logo',
          name: 'logo',
          extend: 'kokuho-card',
          images: { logo: { file, widthMm: 10, heightMm: 5 } },
        }),
      );
      studio.workspace.reload();
      const listed = (await send('GET', '/api/layouts')).json() as { broken: { id: string; problems: { message: string }[] }[] };
      return JSON.stringify(listed.broken.find((b) => b.id === 'kokuho-card-logo')?.problems);
    };
    const there = await problemsOf(join(outside, 'there', 'seal.svg'));
    expect(there).toContain('images.logo.file: \\"…/seal.svg\\" is not a file inside the layout\'s own folder');
    expect(there).toContain('kokuho-card-logo/layout.json');
    expect(there).not.toContain(work);
    expect(await problemsOf(join(outside, 'missing', 'seal.svg'))).toBe(there);
    rmSync(join(layouts, 'kokuho-card-logo'), { recursive: true });
    studio.workspace.reload();
  });
});
