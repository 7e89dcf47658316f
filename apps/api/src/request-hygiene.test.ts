import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, concreteUrl, createApiHarness, multipartFile } from './test-support/api-harness.ts';

function multipart(
  parts: Array<{ name: string; filename?: string; data: string }>,
  boundary: string,
): Buffer {
  const chunks = parts.map(
    (part) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}\r\nContent-Type: text/plain\r\n\r\n${part.data}\r\n`,
  );
  return Buffer.from(`${chunks.join('')}--${boundary}--\r\n`);
}

describe('malformed requests answer 4xx with a code, on every route', () => {
  let h: ApiHarness;
  let admin: string;
  beforeAll(async () => {
    h = await createApiHarness();
    admin = await h.key(['admin']);
  });
  afterAll(async () => h?.close());

  it('refuses a NUL character in any path parameter of any route with 400 VALIDATION_FAILED', async () => {
    const withParams = h.app.registeredRoutes.filter((route) => route.url.includes(':'));
    expect(withParams.length).toBeGreaterThan(5);
    for (const route of withParams) {
      for (const name of [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1] ?? '')) {
        const response = await h.app.inject({
          method: route.method as 'GET',
          url: concreteUrl(route.url, { name, value: 'a%00b' }),
          headers: { 'x-api-key': admin, 'content-type': 'application/json' },
          payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}',
        });
        expect({ route: `${route.method} ${route.url} :${name}`, status: response.statusCode }).toEqual({
          route: `${route.method} ${route.url} :${name}`,
          status: 400,
        });
        if (route.method !== 'HEAD') expect(response.json().error.code).toBe('VALIDATION_FAILED');
      }
    }
    // Refused, and still audited (Postgres cannot store NUL: the audit log escapes it).
    await h.app.auditDrain();
    const { rows } = await h.db.pool.query(
      'SELECT count(*)::int AS n FROM audit_log WHERE strpos(target, $1) > 0 AND status = 400',
      ['a\\0b'],
    );
    expect(rows[0].n).toBeGreaterThan(5);
  });

  it('refuses NUL in a query string and in a JSON body', async () => {
    const query = await h.app.inject({ url: '/v1/documents?q=a%00b', headers: { 'x-api-key': admin } });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.code).toBe('VALIDATION_FAILED');
    const body = await h.app.inject({
      method: 'POST',
      url: '/admin/keys',
      payload: { name: 'a\u0000b', roles: ['read'] },
      headers: { 'x-api-key': admin },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers any cursor it did not make with 400 (garbage, tampered, out of range), never 500', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const crafted = [
      '!!!',
      encode([1, 2]),
      encode('just a string'),
      encode(['9999-99-99 99:99:99+00', 'x']),
      encode(['2026-02-30 10:00:00+00', 'x']),
      encode(['0000-01-01 00:00:00+00', 'x']),
      encode(['294277-01-01 00:00:00+00', 'x']),
      encode(['2026-01-01 00:00:00+00', 'a\u0000b']),
      encode(['2026-01-01 00:00:00+00', 'x'.repeat(5_000)]),
    ];
    for (const cursor of crafted) {
      const response = await h.app.inject({
        url: `/v1/documents?cursor=${encodeURIComponent(cursor.slice(0, 500))}`,
        headers: { 'x-api-key': admin },
      });
      expect({ cursor, status: response.statusCode }).toEqual({ cursor, status: 400 });
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map((value) => encode(value)),
        ),
        async (cursor) => {
          const response = await h.app.inject({
            url: `/v1/documents?cursor=${encodeURIComponent(cursor)}`,
            headers: { 'x-api-key': admin },
          });
          expect(response.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers malformed multipart with 400 VALIDATION_FAILED and leaves no temp file', async () => {
    const boundary = `b${randomUUID().replaceAll('-', '')}`;
    const whole = multipart([{ name: 'file', filename: 'a.txt', data: 'hello' }], boundary);
    const cases: Array<{ name: string; headers: Record<string, string>; payload: Buffer }> = [
      {
        name: 'no boundary',
        headers: { 'content-type': 'multipart/form-data' },
        payload: whole,
      },
      {
        name: 'cut off mid-part',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: whole.subarray(0, whole.length - 20),
      },
      {
        name: 'garbage instead of parts',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.from('this is not multipart at all\r\n\r\n'),
      },
      {
        name: 'a part without headers',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.from(`--${boundary}\r\n\r\n\r\nbody\r\n--${boundary}--\r\n`),
      },
      {
        name: 'a field but no file',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: multipart([{ name: 'note', data: 'no file here' }], boundary),
      },
    ];
    for (const { name, headers, payload } of cases) {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload,
        headers: { ...headers, 'x-api-key': admin },
      });
      expect({ name, status: response.statusCode }).toEqual({ name, status: 400 });
      expect(response.json().error.code, name).toBe('VALIDATION_FAILED');
    }
    expect(await readdir(h.uploadDir)).toEqual([]);
  });

  it('refuses more than one file per upload (TOO_MANY_FILES) and registers none of them', async () => {
    for (const count of [2, 100]) {
      const boundary = `b${randomUUID().replaceAll('-', '')}`;
      const parts = Array.from({ length: count }, (_, index) => ({
        name: `file${index}`,
        filename: `f${index}-${randomUUID()}.txt`,
        data: `file number ${index} ${randomUUID()}`,
      }));
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: multipart(parts, boundary),
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-api-key': admin },
      });
      expect(response.statusCode, String(count)).toBe(400);
      expect(response.json().error.code).toBe('TOO_MANY_FILES');
    }
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM documents');
    expect(rows[0].n).toBe(0);
    expect(await readdir(h.uploadDir)).toEqual([]);
  });

  it('sends Cache-Control: no-store on every route, successes and errors alike', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/keys',
      payload: { name: 'shown-once', roles: ['read'] },
      headers: { 'x-api-key': admin },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const login = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: { apiKey: admin },
      headers: { accept: 'application/json' },
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers['cache-control']).toBe('no-store');
    const upload = multipartFile('cached.txt', Buffer.from('cache me not\n'), 'text/plain');
    const uploaded = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: upload.payload,
      headers: { ...upload.headers, 'x-api-key': admin },
    });
    expect(uploaded.headers['cache-control']).toBe('no-store');
    for (const route of h.app.registeredRoutes) {
      if (route.method === 'OPTIONS') continue;
      for (const headers of [{ 'x-api-key': admin }, {}]) {
        // As a stream: the headers are what is checked, and a live event stream never ends by itself.
        const response = await h.app.inject({
          method: route.method as 'GET',
          url: concreteUrl(route.url),
          headers,
          payloadAsStream: true,
        });
        response.stream().destroy();
        expect({ route: `${route.method} ${route.url}`, cache: response.headers['cache-control'] }).toEqual({
          route: `${route.method} ${route.url}`,
          cache: 'no-store',
        });
      }
    }
  });
});
