import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

describe('document, search and cost routes', () => {
  let h: ApiHarness;
  let admin: string;
  const ids: string[] = [];
  beforeAll(async () => {
    h = await createApiHarness();
    admin = await h.key(['admin']);
    for (const [name, text] of [
      ['alpha notes.md', '# Alpha\n\nfirst\n'],
      ['beta_report.md', '# Beta\n\nsecond\n'],
      ['gamma 50%.txt', 'third\n'],
    ] as const) {
      const body = multipartFile(name, Buffer.from(text), 'text/plain');
      const response = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: body.payload,
        headers: { ...body.headers, 'x-api-key': admin },
      });
      ids.push(response.json().documentId);
    }
  });
  afterAll(async () => {
    await h?.close();
  });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string) =>
    h.app.inject({ method, url, headers: { 'x-api-key': admin } });

  it('lists with filters and cursor pagination', async () => {
    const first = await call('GET', '/v1/documents?limit=2');
    expect(first.json().documents.map((d: { displayName: string }) => d.displayName)).toEqual([
      'gamma 50%.txt',
      'beta_report.md',
    ]);
    const second = await call('GET', `/v1/documents?limit=2&cursor=${first.json().nextCursor}`);
    expect(second.json()).toMatchObject({ documents: [{ displayName: 'alpha notes.md' }], nextCursor: null });
    // LIKE wildcards in q are literal characters.
    expect((await call('GET', '/v1/documents?q=50%25')).json().documents).toHaveLength(1);
    expect((await call('GET', '/v1/documents?q=_')).json().documents).toHaveLength(1);
    expect((await call('GET', '/v1/documents?status=queued')).json().documents).toHaveLength(3);
    expect((await call('GET', '/v1/documents?status=completed')).json().documents).toHaveLength(0);
    expect((await call('GET', '/v1/documents?status=bogus')).statusCode).toBe(400);
    expect((await call('GET', '/v1/documents?cursor=not-a-cursor')).json().error.code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('shows status, 404s unknown documents', async () => {
    const status = await call('GET', `/v1/documents/${ids[0]}`);
    expect(status.json()).toMatchObject({
      documentId: ids[0],
      latestVersion: 1,
      versions: [{ status: 'queued' }],
    });
    const missing = await call('GET', '/v1/documents/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DOCUMENT_NOT_FOUND');
  });

  it('retries the first failed stage by default, and refuses when nothing failed', async () => {
    const id = ids[1] as string;
    expect((await call('POST', `/v1/documents/${id}/retry`)).statusCode).toBe(400);
    await h.db.pool.query(
      "UPDATE stage_runs SET status = 'completed' WHERE document_id = $1 AND stage = 'memory-check'",
      [id],
    );
    await h.db.pool.query(
      "UPDATE stage_runs SET status = 'failed' WHERE document_id = $1 AND stage = 'extract'",
      [id],
    );
    await h.db.pool.query("UPDATE document_versions SET status = 'failed' WHERE document_id = $1", [id]);
    const retried = await call('POST', `/v1/documents/${id}/retry`);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ documentId: id, version: 1, stage: 'extract', run: 2 });
    expect((await call('POST', `/v1/documents/${id}/retry?stage=bogus`)).statusCode).toBe(400);
  });

  it('cancels the latest version and deletes documents from every store', async () => {
    const id = ids[2] as string;
    const cancelled = await call('POST', `/v1/documents/${id}/cancel`);
    expect(cancelled.statusCode).toBe(202);
    expect((await call('GET', `/v1/documents/${id}`)).json().versions[0].status).toBe('cancelled');
    expect((await call('DELETE', `/v1/documents/${id}`)).statusCode).toBe(204);
    expect((await call('GET', `/v1/documents/${id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/documents/${id}`)).statusCode).toBe(404);
  });

  it('searches (empty index: no hits) and reports costs', async () => {
    const search = await call('GET', '/v1/search?q=alpha&limit=5');
    expect(search.statusCode).toBe(200);
    expect(search.json()).toMatchObject({ hits: [] });
    expect((await call('GET', '/v1/search')).statusCode).toBe(400);
    const costs = await call('GET', '/v1/costs?by=provider,model');
    expect(costs.statusCode).toBe(200);
    expect(costs.json()).toMatchObject({ by: ['provider', 'model'], rows: [] });
    expect((await call('GET', '/v1/costs?by=colour')).statusCode).toBe(400);
    expect((await call('GET', '/v1/costs?month=2026-13')).statusCode).toBe(400);
  });

  it('answers unknown routes with 404 NOT_FOUND in the error format', async () => {
    const response = await call('GET', '/v2/nothing');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route GET /v2/nothing.' } });
  });
});
