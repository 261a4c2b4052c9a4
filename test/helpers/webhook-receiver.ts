// A webhook receiver on loopback for tests, on raw sockets so that it can misbehave as a real one does: it
// answers with a status, or trickles its answer one byte at a time and never finishes it.
import { createHmac } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

/** One request the receiver was sent: when it came, its headers and body, and when its connection closed. */
export interface ReceivedHook {
  at: number;
  headers: Record<string, string>;
  body: string;
  closedAt?: number;
}

/** How the receiver answers the next requests: a status at once, or a trickle (a byte every `everyMs`). */
export type ReceiverMode = { status: number } | { trickleEveryMs: number };

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  mode: ReceiverMode;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 answering in `mode` (changeable between requests). */
export async function startWebhookReceiver(mode: ReceiverMode): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const receiver: WebhookReceiver = { url: '', received, mode, close: () => Promise.resolve() };
  const answer = (socket: Socket) => {
    const m = receiver.mode;
    if ('status' in m) {
      socket.end(`HTTP/1.1 ${m.status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    // Headers that never end: one byte now and then, so the connection is never silent for long.
    const bytes = Buffer.from('HTTP/1.1 200 OK\r\nX-Slow: ' + 'a'.repeat(10_000));
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= bytes.length) return clearInterval(timer);
      socket.write(bytes.subarray(i, ++i));
    }, m.trickleEveryMs);
    timers.add(timer);
    socket.write(bytes.subarray(i, ++i));
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    let data = Buffer.alloc(0);
    let hook: ReceivedHook | undefined;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (hook || end < 0) return;
      const lines = data.subarray(0, end).toString('latin1').split('\r\n').slice(1);
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return;
      hook = { at: Date.now(), headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') };
      received.push(hook);
      answer(socket);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (hook) hook.closedAt = Date.now();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  receiver.close = async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return receiver;
}

/** Whether `hook` carries a valid `X-Shikaku-Signature` of its body under `secret`. */
export function signedBy(hook: ReceivedHook, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook.headers['x-shikaku-signature'] ?? '');
  if (!m) return false;
  return createHmac('sha256', secret).update(`${m[1]}.${hook.body}`).digest('hex') === m[2];
}
