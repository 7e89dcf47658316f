import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from './test-support/api-harness.ts';

const BODY_IDLE_MS = 600;
const HEADERS_MS = 1_000;

/** A raw client: writes `text`, then collects whatever the server sends until it closes the connection. */
async function rawClient(port: number, text: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write(text);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => {});
  });
  return { socket, closed };
}

describe('slow clients cannot hold the API', { timeout: 60_000 }, () => {
  let h: ApiHarness;
  let port: number;
  let key: string;
  beforeAll(async () => {
    h = await createApiHarness({
      env: {
        API_BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
        API_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
        API_REQUEST_TIMEOUT_MS: '20000',
      },
    });
    key = await h.key(['ingest', 'read', 'admin']);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => h?.close());

  it('cuts off uploads whose body stalls with 408 REQUEST_TIMEOUT and removes their temp files; others still work', async () => {
    const boundary = 'stallboundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const clients = await Promise.all(
      Array.from({ length: 20 }, () =>
        rawClient(
          port,
          `POST /v1/documents HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n${head}first bytes of a slow file`,
        ),
      ),
    );
    const answers = await Promise.all(clients.map((client) => client.closed));
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('REQUEST_TIMEOUT');
    }
    // The handlers see the cut connection and remove their temp files right after the answer went out.
    expect(
      await eventually(
        () => readdir(h.uploadDir),
        (files) => files.length === 0,
      ),
    ).toEqual([]);
    // The server is unharmed: a canary request completes.
    const canary = await fetch(`http://127.0.0.1:${port}/v1/documents`, { headers: { 'x-api-key': key } });
    expect(canary.status).toBe(200);
  });

  it('cuts off JSON bodies that stall, before authentication too (the login form)', async () => {
    const client = await rawClient(
      port,
      'POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"apiKey":"aeg',
    );
    const answer = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections whose headers never finish (slowloris) with 408', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => rawClient(port, 'GET /v1/documents HTTP/1.1\r\nHost: x\r\nX-Slow: 1')),
    );
    // Keep trickling header bytes, slower than the timeout allows in total.
    const trickle = setInterval(() => {
      for (const client of clients) if (!client.socket.destroyed) client.socket.write('1');
    }, 200);
    try {
      const answers = await Promise.all(clients.map((client) => client.closed));
      for (const answer of answers) expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(trickle);
    }
    const canary = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(canary.status).toBe(200);
  });
});

/** Re-reads `read()` until `done` holds (bounded: 10 s), for effects that follow an answer asynchronously. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
