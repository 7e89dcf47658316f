import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, TEST_METRICS_TOKEN } from './test-support/api-harness.ts';

const SAMPLE_PARAMS: Record<string, string> = {
  id: 'no-such-document',
  queueName: 'extract',
  jobId: 'no-such-job',
  queueStatus: 'failed',
  schedulerId: 'no-such-scheduler',
};

function concreteUrl(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x').replace('*', 'main.js');
}

type Outage = 'postgres' | 'redis';
const CODE: Record<Outage, string> = { postgres: 'DATABASE_UNAVAILABLE', redis: 'QUEUE_UNAVAILABLE' };

/**
 * Routes that cannot work without the dependency and must say so with 503, its code and Retry-After. With
 * Postgres down every keyed route does (the key itself is checked in Postgres); with Redis down, the routes
 * that enqueue or read queues.
 */
const MUST_REFUSE: Record<Outage, (method: string, url: string) => boolean> = {
  // Public routes that read nothing: health, the login forms, the web UI's logout and static files.
  postgres: (_method, url) =>
    url !== '/healthz' &&
    url !== '/metrics' &&
    !url.startsWith('/admin/login') &&
    !/^\/ui\/(login|logout|assets\/)/.test(url),
  redis: (method, url) =>
    (method === 'POST' && url === '/v1/documents') ||
    (method === 'GET' && url === '/v1/events') ||
    (method === 'GET' && url === '/admin/queues/api/queues'),
};

describe('the API with Postgres or Redis down', { timeout: 120_000 }, () => {
  let h: ApiHarness;
  let admin: string;
  beforeAll(async () => {
    h = await createApiHarness({ throughProxies: true });
    admin = await h.key(['admin'], 'outage-admin');
    await writeFile(
      path.join(h.ingestRoot, 'notes.md'),
      '# Notes\n\nAda Lovelace and the Analytical Engine.\n',
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  async function request(method: string, url: string) {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(url === '/metrics' ? { authorization: `Bearer ${TEST_METRICS_TOKEN}` } : { 'x-api-key': admin }),
    };
    const withBody = method === 'POST' && url === '/v1/documents';
    return h.app.inject({
      method: method as 'GET',
      url,
      headers: withBody ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(withBody ? { payload: JSON.stringify({ path: path.join(h.ingestRoot, 'notes.md') }) } : {}),
    });
  }

  for (const outage of ['postgres', 'redis'] as const) {
    it(`${outage} down: no route answers 500; the ones that need it answer 503 ${CODE[outage]} with Retry-After; /readyz names it`, async () => {
      const proxy = outage === 'postgres' ? h.proxies?.postgres : h.proxies?.redis;
      await proxy?.cut();
      try {
        const failures: string[] = [];
        const routes = h.app.registeredRoutes.filter((route) => route.method !== 'HEAD');
        expect(routes.length).toBeGreaterThan(40);
        for (const route of routes) {
          const url = concreteUrl(route.url);
          const response = await request(route.method, url);
          const code = response.headers['content-type']?.includes('json')
            ? (response.json() as { error?: { code?: string } }).error?.code
            : undefined;
          const label = `${route.method} ${url} -> ${response.statusCode} ${code ?? ''}`;
          if (response.statusCode === 500 || code === 'INTERNAL') failures.push(`${label} (a 500)`);
          if (response.statusCode === 503 && url !== '/readyz') {
            if (code !== CODE[outage]) failures.push(`${label} (wrong code)`);
            if (response.headers['retry-after'] === undefined) failures.push(`${label} (no Retry-After)`);
          }
          if (
            MUST_REFUSE[outage](route.method, route.url) &&
            response.statusCode !== 503 &&
            url !== '/readyz'
          )
            failures.push(`${label} (must be 503)`);
        }
        expect(failures).toEqual([]);
        const ready = await request('GET', '/readyz');
        expect(ready.statusCode).toBe(503);
        expect(ready.headers['retry-after']).toBeDefined();
        // Either the readiness report names it, or (key check needing Postgres) the refusal does.
        const body = ready.json() as { down?: string[]; error?: { code: string } };
        if (outage === 'redis') expect(body.down).toContain('redis');
        else
          expect(body.down?.includes('postgres') || body.error?.code === 'DATABASE_UNAVAILABLE').toBe(true);
      } finally {
        await proxy?.restore();
      }
      // Back to normal once it returns.
      const documents = await request('GET', '/v1/documents');
      expect(documents.statusCode).toBe(200);
    });
  }
});
