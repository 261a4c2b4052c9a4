import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer } from '../server/index.ts';

const samples = JSON.parse(readFileSync(new URL('../layouts/kokuho-card/samples.json', import.meta.url), 'utf8')) as unknown[];
let base = '';
let close: () => Promise<void>;

async function waitReady(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${base}/readyz`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('service never became ready');
}

beforeAll(async () => {
  const started = await startServer({ port: 0, apiKeys: ['test-key'], host: '127.0.0.1', log: () => undefined });
  base = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
  close = started.close;
  await waitReady();
});
afterAll(async () => close?.());

const auth = { authorization: 'Bearer test-key', 'content-type': 'application/json' };

describe('print service', () => {
  it('answers /healthz without a key', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses /v1 without the right key', async () => {
    expect((await fetch(`${base}/v1/layouts`)).status).toBe(401);
    const wrong = await fetch(`${base}/v1/layouts`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
  });

  it('lists layouts', async () => {
    const res = await fetch(`${base}/v1/layouts`, { headers: auth });
    expect(((await res.json()) as { id: string }[]).map((l) => l.id)).toContain('kokuho-card');
  });

  it('renders a card to PDF, and a page of it to PNG', async () => {
    const pdf = await fetch(`${base}/v1/render/kokuho-card`, { method: 'POST', headers: auth, body: JSON.stringify(samples[0]) });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    const png = await fetch(`${base}/v1/render/kokuho-card?page=2`, { method: 'POST', headers: { ...auth, accept: 'image/png' }, body: JSON.stringify(samples[0]) });
    expect(png.status).toBe(200);
    const bytes = Buffer.from(await png.arrayBuffer());
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1011, 638]);
  });

  it('answers bad records with 422 problem+json listing record, path and message', async () => {
    const res = await fetch(`${base}/v1/render/kokuho-card`, { method: 'POST', headers: auth, body: JSON.stringify([samples[0], { ...(samples[1] as object), branch: 'x' }]) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { record: number; path: string; message: string }[] };
    expect(body.errors).toEqual([{ record: 2, path: 'branch', message: '枝番: expected exactly 2 digits, 00 to 99, received "x"' }]);
  });

  it('answers 404 for an unknown layout and 413 for a body over the limit', async () => {
    expect((await fetch(`${base}/v1/render/nope`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(404);
    const huge = JSON.stringify({ remarks: 'x'.repeat(3 * 1024 * 1024) });
    expect((await fetch(`${base}/v1/render/kokuho-card`, { method: 'POST', headers: auth, body: huge })).status).toBe(413);
  });

  it('refuses to listen on another address than loopback without API keys', async () => {
    await expect(startServer({ port: 0, host: '0.0.0.0', apiKeys: [], log: () => undefined })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without API keys/);
  });
});
