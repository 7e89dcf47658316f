import { counter, createMetricsRegistry } from '@aegis/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { hasBearerToken, type MetricsServer, startMetricsServer } from './metrics-server.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let server: MetricsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(token: string | undefined): Promise<string> {
  const registry = createMetricsRegistry();
  counter(registry, { name: 'aegis_test_total', help: 'a test counter' }).inc(3);
  server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', token });
  return `http://127.0.0.1:${server.port}`;
}

describe('startMetricsServer', () => {
  it('requires the bearer token on /metrics when one is configured', async () => {
    const base = await start(TOKEN);
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Bearer wrong-token' }, 401],
      [{ authorization: `Bearer ${TOKEN}x` }, 401],
      [{ authorization: TOKEN }, 401],
      [{ authorization: `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}` }, 401],
      [{ authorization: `Bearer ${TOKEN}` }, 200],
      [{ authorization: `bearer ${TOKEN}` }, 200],
    ];
    for (const [headers, status] of cases) {
      const response = await fetch(`${base}/metrics`, { headers });
      expect({ headers, status: response.status }).toEqual({ headers, status });
      const body = await response.text();
      if (status === 200) expect(body).toContain('aegis_test_total 3');
      else {
        expect(body).not.toContain('aegis_test_total');
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      }
    }
  });

  it('serves /metrics without a token when none is configured, in the Prometheus text format', async () => {
    const base = await start(undefined);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('# TYPE aegis_test_total counter');
  });

  it('answers /healthz without a token, 404 elsewhere and 405 for other methods', async () => {
    const base = await start(TOKEN);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('binds the requested port and frees it on close', async () => {
    const base = await start(undefined);
    const port = server?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    await server?.close();
    server = undefined;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    server = await startMetricsServer({ registry: createMetricsRegistry(), port, host: '127.0.0.1' });
    expect(server.port).toBe(port);
  });
});

describe('hasBearerToken', () => {
  it('accepts only the exact token after the Bearer scheme', () => {
    expect(hasBearerToken(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(hasBearerToken(undefined, TOKEN)).toBe(false);
    expect(hasBearerToken('Bearer ', TOKEN)).toBe(false);
    expect(hasBearerToken(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
  });
});
