import { randomUUID } from 'node:crypto';
import type { EmbeddingSpace } from '@aegis/core';
import { hashingEmbedding } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

/**
 * How each route treats a key scoped to knowledge bases, written independently of the code. A registered route
 * matching no row fails the suite: a new route must say how it keeps bases apart before it can ship.
 * - `global`: shows or changes every base's data (keys, queues, metrics): 403 for a scoped key;
 * - `document`: names a document: another base's document answers 404, exactly like a missing one;
 * - `filtered`: lists or aggregates: only the key's own bases appear;
 * - `write`: ingest: only into the key's own bases (403 otherwise);
 * - `none`: carries no base's data (health, login, docs).
 */
type Scope = 'global' | 'document' | 'filtered' | 'write' | 'none';
const EXPECTED: ReadonlyArray<{ method: string | RegExp; url: string | RegExp; scope: Scope }> = [
  { method: 'GET', url: '/healthz', scope: 'none' },
  { method: 'GET', url: '/readyz', scope: 'none' },
  { method: 'GET', url: '/metrics', scope: 'global' },
  { method: 'POST', url: '/v1/documents', scope: 'write' },
  { method: 'GET', url: '/v1/documents', scope: 'filtered' },
  { method: 'GET', url: '/v1/documents/resolve', scope: 'document' },
  { method: 'GET', url: '/v1/documents/:id', scope: 'document' },
  { method: 'POST', url: '/v1/documents/:id/retry', scope: 'document' },
  { method: 'POST', url: '/v1/documents/:id/cancel', scope: 'document' },
  { method: 'DELETE', url: '/v1/documents/:id', scope: 'document' },
  { method: 'GET', url: '/v1/search', scope: 'filtered' },
  { method: 'GET', url: '/v1/costs', scope: 'filtered' },
  { method: 'GET', url: '/v1/costs/export', scope: 'global' },
  { method: 'GET', url: '/v1/events', scope: 'global' },
  // Webhooks: a scoped admin key sees its bases' webhooks only; another base's answers 404 like a missing one.
  { method: 'GET', url: '/v1/webhooks', scope: 'filtered' },
  { method: 'POST', url: '/v1/webhooks', scope: 'write' },
  { method: 'DELETE', url: '/v1/webhooks/:id', scope: 'document' },
  { method: 'GET', url: '/v1/webhooks/:id/deliveries', scope: 'document' },
  { method: 'POST', url: '/v1/webhooks/:id/replay', scope: 'document' },
  { method: 'GET', url: '/admin/login', scope: 'none' },
  { method: 'POST', url: '/admin/login', scope: 'none' },
  { method: 'POST', url: '/admin/logout', scope: 'none' },
  { method: 'GET', url: '/admin/keys', scope: 'global' },
  { method: 'POST', url: '/admin/keys', scope: 'global' },
  { method: 'DELETE', url: '/admin/keys/:id', scope: 'global' },
  { method: 'GET', url: '/admin/audit', scope: 'filtered' },
  { method: /^(GET|HEAD|POST|PUT|PATCH|DELETE)$/, url: /^\/admin\/queues(\/|$)/, scope: 'global' },
  // The documents web UI: the same scoping as the JSON routes it mirrors.
  { method: 'GET', url: '/ui', scope: 'none' },
  { method: 'GET', url: '/ui/documents', scope: 'filtered' },
  { method: 'GET', url: /^\/ui\/documents\/:id(\/.*)?$/, scope: 'document' },
  { method: 'GET', url: '/ui/search', scope: 'filtered' },
  { method: 'GET', url: '/ui/costs', scope: 'filtered' },
  { method: 'GET', url: '/ui/upload', scope: 'none' },
  { method: /^(GET|POST)$/, url: /^\/ui\/(login|logout|assets\/:name)$/, scope: 'none' },
  { method: /^(GET|HEAD)$/, url: /^\/docs(\/|$)/, scope: 'none' },
];

function expectationFor(method: string, url: string) {
  return EXPECTED.find(
    (row) =>
      (typeof row.method === 'string' ? row.method === method : row.method.test(method)) &&
      (typeof row.url === 'string' ? row.url === url : row.url.test(url)),
  );
}

const SPACE: EmbeddingSpace = { provider: 'ollama', model: 'bge-m3', dimensions: 1024, normalisation: 'l2' };
/** Text only base A's document contains: it must never reach a key of base B. */
const SECRET_A = 'zanzibar quartermaster alpha';
const SECRET_B = 'zanzibar quartermaster bravo';

describe('knowledge base isolation over every route and key scope', { timeout: 120_000 }, () => {
  let h: ApiHarness;
  const keys = {} as Record<'global' | 'a' | 'b' | 'ab', string>;
  const docs = {} as Record<'a' | 'b', string>;
  let hookA = '';

  beforeAll(async () => {
    h = await createApiHarness();
    keys.global = await h.key(['admin'], 'global-admin');
    keys.a = await h.key(['admin'], 'team-a-admin', ['team-a']);
    keys.b = await h.key(['admin'], 'team-b-admin', ['team-b']);
    keys.ab = await h.key(['read'], 'both-reader', ['team-a', 'team-b']);
    for (const [base, secret] of [
      ['a', SECRET_A],
      ['b', SECRET_B],
    ] as const) {
      const upload = multipartFile(
        `${base}.txt`,
        new TextEncoder().encode(`Notes: ${secret}.`),
        'text/plain',
        {
          knowledgeBase: `team-${base}`,
          metadata: JSON.stringify({ team: base }),
        },
      );
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        headers: { ...upload.headers, 'x-api-key': keys[base] },
        payload: upload.payload,
      });
      expect(response.statusCode, response.body).toBe(202);
      docs[base] = response.json().documentId;
    }
    // A webhook of base A: its id and URL must not reach base B's key.
    hookA = (
      await h.runtime.webhooks.store.create({
        url: `https://hooks.example.com/${SECRET_A}`,
        knowledgeBase: 'team-a',
      })
    ).webhook.id;
    // What the pipeline would have written: each document active, its chunk embedded in its base's space,
    // and a ledger row for its embedding.
    const { pipeline } = h.runtime;
    await h.db.pool.query('UPDATE documents SET active_version = 1 WHERE id = ANY($1)', [[docs.a, docs.b]]);
    await pipeline.vectors.ensureSpace(SPACE);
    for (const base of ['a', 'b'] as const) {
      await pipeline.repository.bindEmbedding(`team-${base}`, {
        provider: 'ollama',
        model: 'bge-m3',
        dimensions: 1024,
      });
      const text = `Notes: ${base === 'a' ? SECRET_A : SECRET_B}.`;
      await pipeline.vectors.upsert(SPACE, [
        {
          id: randomUUID(),
          vector: hashingEmbedding(text, 1024, 'bge-m3'),
          payload: {
            documentId: docs[base],
            version: 1,
            chunkIndex: 0,
            knowledgeBase: `team-${base}`,
            kind: 'text',
            createdAt: new Date().toISOString(),
            metadata: { team: base },
            pageStart: 1,
            pageEnd: 1,
            source: `${base}.txt`,
            text,
            headingPath: [],
            embeddingModel: 'ollama:bge-m3',
          },
        },
      ]);
      await h.db.pool.query(
        `INSERT INTO llm_ledger (id, request_group, attempt, created_at, provider, model, task, usage_source, cost_usd,
                                 status, document_id, stage)
         VALUES ($1, $1, 1, now(), 'openai', 'text-embedding-3-small', 'embedding', 'provider', $2, 'ok', $3, 'embed')`,
        [randomUUID(), base === 'a' ? '0.000100000000' : '0.000200000000', docs[base]],
      );
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('has an expectation for every registered route', () => {
    const unknown = h.app.registeredRoutes.filter((route) => !expectationFor(route.method, route.url));
    expect(unknown, 'routes missing from the EXPECTED table').toEqual([]);
  });

  it("never shows base A's documents, chunks, costs or audit rows to a key of base B, on any route", async () => {
    const failures: string[] = [];
    for (const route of h.app.registeredRoutes) {
      const scope = expectationFor(route.method, route.url)?.scope;
      if (scope === 'none' || route.method === 'HEAD') continue;
      const url = route.url
        .replace(
          ':id',
          route.url.startsWith('/admin/keys')
            ? 'zzzzzzzz'
            : route.url.startsWith('/v1/webhooks')
              ? hookA
              : docs.a,
        )
        .replace(':page', '1')
        .replace(/:(\w+)/g, 'x')
        .replace('*', 'main.js');
      const query =
        url === '/v1/search'
          ? `?q=${encodeURIComponent('zanzibar quartermaster')}&mode=keyword`
          : url === '/v1/documents/resolve'
            ? `?ref=${docs.a}`
            : '';
      const hookBody =
        route.method === 'POST' && url === '/v1/webhooks'
          ? { url: 'https://hooks.example.com/b', knowledgeBase: 'team-a' }
          : route.method === 'POST' && url.endsWith('/replay')
            ? { eventId: 1 }
            : undefined;
      const upload =
        route.method === 'POST' && url === '/v1/documents'
          ? multipartFile('c.txt', new TextEncoder().encode('into team a'), 'text/plain', {
              knowledgeBase: 'team-a',
            })
          : undefined;
      const response = await h.app.inject({
        method: route.method as 'GET',
        url: `${url}${query}`,
        headers: { 'x-api-key': keys.b, accept: 'application/json', ...upload?.headers },
        ...(upload ? { payload: upload.payload } : {}),
        ...(hookBody ? { payload: hookBody } : {}),
      });
      const label = `${route.method} ${route.url} -> ${response.statusCode}`;
      // Base A's content or rows never appear. (Errors may echo what B itself sent, e.g. the id it asked for,
      // and B's own audit rows name that id: that is B's request, not A's data.)
      const leaked =
        response.body.includes(SECRET_A) ||
        (scope === 'filtered' && response.body.includes('"knowledgeBase":"team-a"')) ||
        (url !== '/admin/audit' && scope === 'filtered' && response.body.includes(docs.a));
      if (leaked) failures.push(`${label}: leaked base A`);
      if (scope === 'global' && response.statusCode !== 403) failures.push(`${label}: expected 403`);
      if (scope === 'document' && response.statusCode !== 404)
        failures.push(`${label}: expected 404 ${response.body.slice(0, 200)}`);
      if (scope === 'write' && response.statusCode !== 403) failures.push(`${label}: expected 403`);
      if (scope === 'filtered' && response.statusCode !== 200) failures.push(`${label}: expected 200`);
    }
    expect(failures).toEqual([]);
  });

  it('shows each scoped key its own base, and a key of both bases both', async () => {
    const get = (url: string, key: string) => h.app.inject({ url, headers: { 'x-api-key': key } });
    const ids = async (key: string) =>
      (await get('/v1/documents', key)).json().documents.map((doc: { documentId: string }) => doc.documentId);
    expect(await ids(keys.a)).toEqual([docs.a]);
    expect(await ids(keys.b)).toEqual([docs.b]);
    expect((await ids(keys.ab)).sort()).toEqual([docs.a, docs.b].sort());
    expect((await ids(keys.global)).sort()).toEqual([docs.a, docs.b].sort());
    expect((await get(`/v1/documents/${docs.a}`, keys.a)).statusCode).toBe(200);
    // Resolving by file name stays inside the scope: no 409 listing another base's candidates.
    expect((await get('/v1/documents/resolve?ref=a.txt', keys.a)).json().documentId).toBe(docs.a);
    expect((await get('/v1/documents/resolve?ref=a.txt', keys.b)).statusCode).toBe(404);

    const search = async (key: string, extra = '') =>
      (await get(`/v1/search?q=zanzibar+quartermaster&mode=keyword${extra}`, key)).json();
    expect((await search(keys.a)).hits.map((hit: { documentId: string }) => hit.documentId)).toEqual([
      docs.a,
    ]);
    expect(
      (await search(keys.ab, '&kb=team-a,team-b')).hits
        .map((hit: { documentId: string }) => hit.documentId)
        .sort(),
    ).toEqual([docs.a, docs.b].sort());
    expect((await get('/v1/search?q=zanzibar&kb=team-b', keys.a)).statusCode).toBe(403);
    // Metadata round-trip and a metadata filter.
    const filtered = await search(keys.ab, '&kb=team-a,team-b&meta.team=b');
    expect(filtered.hits.map((hit: { metadata: unknown }) => hit.metadata)).toEqual([{ team: 'b' }]);

    const costs = async (key: string) => (await get('/v1/costs', key)).json().rows[0]?.costUsd;
    expect(await costs(keys.a)).toBe('0.000100000000');
    expect(await costs(keys.b)).toBe('0.000200000000');
    expect(await costs(keys.global)).toBe('0.000300000000');

    const audit = async (key: string) =>
      (await get('/admin/audit?limit=500', key))
        .json()
        .entries.map((entry: { knowledgeBase: string | null }) => entry.knowledgeBase);
    expect(new Set(await audit(keys.a))).toEqual(new Set(['team-a']));
    expect((await audit(keys.global)).filter((base: string | null) => base !== null).sort()).toEqual(
      expect.arrayContaining(['team-a', 'team-b']),
    );
  });

  it('refuses bad knowledge base names and metadata on ingest with VALIDATION_FAILED', async () => {
    const cases: Array<Record<string, string>> = [
      { knowledgeBase: 'Bad Name' },
      { metadata: '[1, 2]' },
      { metadata: '{"not closed"' },
      { metadata: JSON.stringify({ 'bad key!': 1 }) },
      { metadata: JSON.stringify({ deep: { a: { b: { c: { d: 1 } } } } }) },
      { metadata: JSON.stringify({ big: 'x'.repeat(9_000) }) },
    ];
    for (const fields of cases) {
      const upload = multipartFile(
        'v.txt',
        new TextEncoder().encode(JSON.stringify(fields)),
        'text/plain',
        fields,
      );
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        headers: { ...upload.headers, 'x-api-key': keys.global },
        payload: upload.payload,
      });
      expect(
        `${JSON.stringify(fields).slice(0, 60)} -> ${response.statusCode} ${response.json().error?.code}`,
      ).toMatch(/-> 400 VALIDATION_FAILED$/);
    }
  });
});
