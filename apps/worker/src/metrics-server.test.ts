import { networkInterfaces } from 'node:os';
import { loadConfig } from '@aegis/config';
import { createLogger, createMetricsRegistry } from '@aegis/observability';
import { describe, expect, it } from 'vitest';
import { startWorkerMetricsServer } from './metrics-server.ts';

/** An address of this host that is not loopback, when it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)?.address;
}

describe('worker and watcher metrics server', () => {
  const logger = createLogger({ level: 'silent' });

  it('binds to loopback unless METRICS_HOST says otherwise', async () => {
    const server = await startWorkerMetricsServer(
      loadConfig({ METRICS_PORT: '0' }),
      createMetricsRegistry(),
      logger,
    );
    try {
      expect(server?.host).toBe('127.0.0.1');
      expect((await fetch(`http://127.0.0.1:${server?.port}/healthz`)).status).toBe(200);
      const external = externalAddress();
      if (external !== undefined)
        await expect(fetch(`http://${external}:${server?.port}/healthz`)).rejects.toThrow();
    } finally {
      await server?.close();
    }
  });

  it('binds to the configured host (compose sets 0.0.0.0 for containers)', async () => {
    const server = await startWorkerMetricsServer(
      loadConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }),
      createMetricsRegistry(),
      logger,
    );
    try {
      expect(server?.host).toBe('0.0.0.0');
    } finally {
      await server?.close();
    }
  });
});
