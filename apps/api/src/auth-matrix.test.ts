import type { ApiKeyRole } from '@aegis/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from './auth/access.ts';
import {
  type ApiHarness,
  concreteUrl,
  createApiHarness,
  TEST_METRICS_TOKEN,
} from './test-support/api-harness.ts';

/**
 * The expected access of every route, written independently of the code. A registered route that matches
 * no row fails the suite: a new route must be added here, with its role, before it can ship.
 */
const EXPECTED: ReadonlyArray<{ method: string | RegExp; url: string | RegExp; access: Access }> = [
  { method: 'GET', url: '/healthz', access: 'public' },
  { method: 'GET', url: '/readyz', access: 'read' },
  { method: 'GET', url: '/metrics', access: 'metrics' },
  { method: 'POST', url: '/v1/documents', access: 'ingest' },
  { method: 'GET', url: '/v1/documents', access: 'read' },
  { method: 'GET', url: '/v1/documents/:id', access: 'read' },
  { method: 'GET', url: '/v1/documents/resolve', access: 'read' },
  { method: 'POST', url: '/v1/documents/:id/retry', access: 'ingest' },
  { method: 'POST', url: '/v1/documents/:id/cancel', access: 'ingest' },
  { method: 'DELETE', url: '/v1/documents/:id', access: 'admin' },
  { method: 'GET', url: '/v1/search', access: 'read' },
  { method: 'GET', url: '/v1/costs', access: 'read' },
  { method: 'GET', url: '/v1/costs/export', access: 'admin' },
  { method: 'GET', url: '/v1/events', access: 'read' },
  { method: 'GET', url: '/v1/webhooks', access: 'admin' },
  { method: 'POST', url: '/v1/webhooks', access: 'admin' },
  { method: 'DELETE', url: '/v1/webhooks/:id', access: 'admin' },
  { method: 'GET', url: '/v1/webhooks/:id/deliveries', access: 'admin' },
  { method: 'POST', url: '/v1/webhooks/:id/replay', access: 'admin' },
  { method: 'GET', url: '/admin/login', access: 'public' },
  { method: 'POST', url: '/admin/login', access: 'public' },
  { method: 'POST', url: '/admin/logout', access: 'admin' },
  { method: 'GET', url: '/admin/keys', access: 'admin' },
  { method: 'POST', url: '/admin/keys', access: 'admin' },
  { method: 'DELETE', url: '/admin/keys/:id', access: 'admin' },
  { method: 'GET', url: '/admin/audit', access: 'admin' },
  // The documents web UI (server-rendered pages; its script calls the JSON routes above).
  { method: 'GET', url: '/ui', access: 'read' },
  { method: 'GET', url: '/ui/documents', access: 'read' },
  { method: 'GET', url: '/ui/documents/:id', access: 'read' },
  { method: 'GET', url: '/ui/documents/:id/images/:imageId', access: 'read' },
  { method: 'GET', url: '/ui/documents/:id/source', access: 'read' },
  { method: 'GET', url: '/ui/documents/:id/pages/:page', access: 'read' },
  { method: 'GET', url: '/ui/upload', access: 'ingest' },
  { method: 'GET', url: '/ui/search', access: 'read' },
  { method: 'GET', url: '/ui/costs', access: 'read' },
  { method: 'GET', url: '/ui/login', access: 'public' },
  { method: 'POST', url: '/ui/login', access: 'public' },
  { method: 'POST', url: '/ui/logout', access: 'public' },
  { method: 'GET', url: '/ui/assets/:name', access: 'public' },
  // Bull Board: its page, assets and JSON API (pause, retry, clean, obliterate...).
  { method: /^(GET|HEAD|POST|PUT|PATCH|DELETE)$/, url: /^\/admin\/queues(\/|$)/, access: 'admin' },
  // Swagger UI and the OpenAPI document.
  { method: /^(GET|HEAD)$/, url: /^\/docs(\/|$)/, access: 'read' },
];

/** A key lacking the role each access needs. */
const WRONG_ROLES: Record<Exclude<Access, 'public'>, ApiKeyRole[]> = {
  ingest: ['read'],
  read: ['ingest'],
  admin: ['ingest', 'read'],
  metrics: ['ingest', 'read'],
};

function expectationFor(method: string, url: string) {
  return EXPECTED.find(
    (row) =>
      (typeof row.method === 'string' ? row.method === method : row.method.test(method)) &&
      (typeof row.url === 'string' ? row.url === url : row.url.test(url)),
  );
}

describe('authentication and roles over every registered route', () => {
  let h: ApiHarness;
  const keys = {} as Record<Exclude<Access, 'public'>, string>;
  beforeAll(async () => {
    h = await createApiHarness();
    for (const [access, roles] of Object.entries(WRONG_ROLES))
      keys[access as keyof typeof keys] = await h.key(roles, `wrong-for-${access}`);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('has an expectation for every registered route, and registers the expected access', () => {
    const routes = h.app.registeredRoutes;
    expect(routes.length).toBeGreaterThan(40);
    const unknown = routes.filter((route) => !expectationFor(route.method, route.url));
    expect(unknown, 'routes missing from the EXPECTED table').toEqual([]);
    for (const route of routes)
      expect(`${route.method} ${route.url} ${route.access}`).toBe(
        `${route.method} ${route.url} ${expectationFor(route.method, route.url)?.access}`,
      );
    // Bull Board, the docs and metrics are covered, not skipped.
    expect(routes.filter((route) => route.url.startsWith('/admin/queues')).length).toBeGreaterThan(20);
    expect(routes.some((route) => route.url === '/metrics')).toBe(true);
  });

  it('answers 401 without a key and 403 with a key of the wrong role, on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of h.app.registeredRoutes) {
      if (route.access === 'public') continue;
      const url = concreteUrl(route.url);
      const method = route.method as 'GET' | 'HEAD';
      const anonymous = await h.app.inject({ method, url, headers: { accept: 'application/json' } });
      if (
        anonymous.statusCode !== 401 ||
        (method !== 'HEAD' && anonymous.json().error.code !== 'UNAUTHENTICATED')
      )
        failures.push(`${method} ${url} without a key -> ${anonymous.statusCode}`);
      const invalid = await h.app.inject({
        method,
        url,
        headers: { authorization: 'Bearer aegis_aaaaaaaa_00' },
      });
      if (invalid.statusCode !== 401)
        failures.push(`${method} ${url} with an invalid key -> ${invalid.statusCode}`);
      const wrongKey = keys[route.access as keyof typeof keys];
      const wrong = await h.app.inject({ method, url, headers: { 'x-api-key': wrongKey } });
      if (wrong.statusCode !== 403 || (method !== 'HEAD' && wrong.json().error.code !== 'FORBIDDEN'))
        failures.push(`${method} ${url} with the wrong role -> ${wrong.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('lets the right roles in', async () => {
    const reader = await h.key(['read']);
    const admin = await h.key(['admin']);
    const get = (url: string, key: string) =>
      h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await get('/v1/documents', reader)).statusCode).toBe(200);
    expect((await get('/readyz', reader)).statusCode).toBe(200);
    expect((await get('/docs/json', reader)).json().paths['/v1/documents']).toBeDefined();
    expect((await get('/admin/queues/api/queues', admin)).statusCode).toBe(200);
    // admin implies read; /metrics takes the metrics token or an admin key.
    expect((await get('/v1/documents', admin)).statusCode).toBe(200);
    expect((await get('/metrics', TEST_METRICS_TOKEN)).statusCode).toBe(200);
    expect((await get('/metrics', admin)).body).toContain('llm_requests_total');
    // The metrics token opens nothing else.
    expect((await get('/v1/documents', TEST_METRICS_TOKEN)).statusCode).toBe(401);
  });

  it('sends browsers to the login form, and API clients get 401', async () => {
    const browser = await h.app.inject({ url: '/admin/queues', headers: { accept: 'text/html,*/*' } });
    expect(browser.statusCode).toBe(302);
    expect(browser.headers.location).toBe('/admin/login?next=%2Fadmin%2Fqueues');
    const api = await h.app.inject({ url: '/admin/queues', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(401);
  });

  it('logs an admin in with a session cookie that opens Bull Board and the docs, and logs out', async () => {
    const admin = await h.key(['admin'], 'browser-admin');
    const login = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: new URLSearchParams({ apiKey: admin, next: '/admin/queues' }).toString(),
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin/queues');
    const cookie = login.cookies.find((c) => c.name === 'aegis_admin_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.maxAge).toBe(8 * 60 * 60);
    const cookies = { aegis_admin_session: cookie?.value ?? '' };

    const page = await h.app.inject({ url: '/admin/queues', cookies, headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Aegis Ingest</title>');
    const queues = await h.app.inject({ url: '/admin/queues/api/queues', cookies });
    expect(
      queues
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['chunk', 'embed', 'enrich-images', 'extract', 'graph', 'memory-check']);
    expect((await h.app.inject({ url: '/docs/json', cookies })).statusCode).toBe(200);
    // The cookie opens the browser pages and only the JSON routes the web UI's script calls (not the list).
    expect((await h.app.inject({ url: '/v1/documents', cookies })).statusCode).toBe(401);

    const logout = await h.app.inject({ method: 'POST', url: '/admin/logout', cookies });
    expect(logout.statusCode).toBe(303);
    expect(logout.cookies.find((c) => c.name === 'aegis_admin_session')?.value).toBe('');
  });

  it('refuses non-admin keys, bad keys and foreign redirects at the login form', async () => {
    const reader = await h.key(['read']);
    const form = (body: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: new URLSearchParams(body).toString(),
      });
    const notAdmin = await form({ apiKey: reader });
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.body).toContain('id="login-error"');
    expect(notAdmin.cookies).toEqual([]);
    expect((await form({ apiKey: 'aegis_zzzzzzzz_0000' })).statusCode).toBe(401);
    const admin = await h.key(['admin']);
    expect((await form({ apiKey: admin, next: 'https://evil.example/' })).headers.location).toBe(
      '/admin/queues',
    );
    const page = await h.app.inject({ url: '/admin/login?next=/admin/queues' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="apiKey"');
  });

  it('ends sessions when their key is revoked, and rejects tampered cookies', async () => {
    const admin = await h.key(['admin'], 'to-revoke');
    const login = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: { apiKey: admin },
    });
    const value = login.cookies.find((c) => c.name === 'aegis_admin_session')?.value ?? '';
    const tampered = value.replace(/^[a-z0-9]{8}/, 'zzzzzzzz');
    expect(
      (await h.app.inject({ url: '/admin/queues/api/queues', cookies: { aegis_admin_session: tampered } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await h.app.inject({ url: '/admin/queues/api/queues', cookies: { aegis_admin_session: value } }))
        .statusCode,
    ).toBe(200);
    const other = await h.key(['admin']);
    const id = admin.split('_')[1];
    const revoke = await h.app.inject({
      method: 'DELETE',
      url: `/admin/keys/${id}`,
      headers: { 'x-api-key': other },
    });
    expect(revoke.statusCode).toBe(204);
    expect(
      (await h.app.inject({ url: '/admin/queues/api/queues', cookies: { aegis_admin_session: value } }))
        .statusCode,
    ).toBe(401);
  });
});
