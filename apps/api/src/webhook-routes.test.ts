import type { AddressInfo } from 'node:net';
import { readLiveEvents } from '@aegis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

describe('webhook routes and the resumable event stream', { timeout: 60_000 }, () => {
  let h: ApiHarness;
  let strict: ApiHarness;
  let admin: string;
  let teamA: string;
  beforeAll(async () => {
    [h, strict] = await Promise.all([
      createApiHarness({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } }),
      createApiHarness(),
    ]);
    admin = await h.key(['admin'], 'hooks-admin');
    teamA = await h.key(['admin'], 'team-a-admin', ['team-a']);
  });
  afterAll(async () => {
    await Promise.all([h?.close(), strict?.close()]);
  });

  const call = (target: ApiHarness, key: string, method: string, url: string, payload?: object) =>
    target.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': key },
      ...(payload ? { payload } : {}),
    });

  async function failedDocument(knowledgeBase: string): Promise<{ documentId: string; eventId: number }> {
    const upload = multipartFile(
      `${knowledgeBase}-${Math.random()}.txt`,
      new TextEncoder().encode(`x ${Math.random()}`),
      'text/plain',
      {
        knowledgeBase,
      },
    );
    const registered = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { ...upload.headers, 'x-api-key': admin },
      payload: upload.payload,
    });
    const { documentId, version } = registered.json();
    const before = await h.runtime.webhooks.store.lastEventId();
    await h.runtime.pipeline.repository.setVersionStatus(documentId, version, 'failed', {
      errorCode: 'PARSE_FAILED',
    });
    const [event] = await h.runtime.webhooks.store.eventsAfter(before, 10);
    return { documentId, eventId: event?.id as number };
  }

  it('refuses loopback and private webhook URLs unless the operator allows them', async () => {
    const strictAdmin = await strict.key(['admin']);
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://[::1]/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest',
      'ftp://example.com/x',
      'http://user:pw@example.com/x',
    ]) {
      const response = await call(strict, strictAdmin, 'POST', '/v1/webhooks', { url });
      expect(`${url} -> ${response.statusCode} ${response.json().error?.code}`).toBe(
        `${url} -> 400 VALIDATION_FAILED`,
      );
    }
    expect((await call(h, admin, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x' })).statusCode).toBe(
      201,
    );
  });

  it('shows the secret once, scopes webhooks to knowledge bases, logs deliveries and queues replays', async () => {
    const created = await call(h, admin, 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/global',
      eventTypes: ['document.failed'],
    });
    expect(created.statusCode).toBe(201);
    const hook = created.json();
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.knowledgeBase).toBeNull();
    const listed = await call(h, admin, 'GET', '/v1/webhooks');
    expect(listed.body).not.toContain(hook.secret);
    expect(listed.json().webhooks.map((entry: { id: string }) => entry.id)).toContain(hook.id);

    // A key of team-a: no global webhooks, its own base by default, nobody else's.
    expect((await call(h, teamA, 'GET', '/v1/webhooks')).json().webhooks).toEqual([]);
    expect(
      (await call(h, teamA, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/b', knowledgeBase: 'team-b' }))
        .statusCode,
    ).toBe(403);
    const own = await call(h, teamA, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/a' });
    expect(own.json().knowledgeBase).toBe('team-a');
    expect((await call(h, teamA, 'DELETE', `/v1/webhooks/${hook.id}`)).statusCode).toBe(404);

    const { eventId } = await failedDocument('team-a');
    // No workers in this harness: dispatch by hand, as a worker's dispatcher would.
    const deliveries = await h.runtime.webhooks.store.dispatch(100);
    expect(
      deliveries
        .filter((entry) => entry.eventId === eventId)
        .map((entry) => entry.webhookId)
        .sort(),
    ).toEqual(expect.arrayContaining([hook.id, own.json().id]));
    const log = await call(h, teamA, 'GET', `/v1/webhooks/${own.json().id}/deliveries`);
    expect(log.json().deliveries[0]).toMatchObject({
      eventId,
      eventType: 'document.failed',
      status: 'pending',
      log: [],
    });

    const replay = await call(h, admin, 'POST', `/v1/webhooks/${hook.id}/replay`, {
      deliveryId: `${eventId}-${hook.id}`,
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().deliveries).toEqual([`${eventId}-${hook.id}-r1`]);
    expect((await call(h, admin, 'POST', `/v1/webhooks/${hook.id}/replay`, {})).statusCode).toBe(400);
    expect(
      (await call(h, admin, 'POST', `/v1/webhooks/${hook.id}/replay`, { eventId: 999_999_999 })).statusCode,
    ).toBe(404);
    expect((await call(h, admin, 'DELETE', `/v1/webhooks/${hook.id}`)).statusCode).toBe(204);
    expect((await call(h, admin, 'GET', `/v1/webhooks/${hook.id}/deliveries`)).statusCode).toBe(404);
  });

  it('resumes completion events after Last-Event-ID on /v1/events', async () => {
    const first = await failedDocument('default');
    const second = await failedDocument('default');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      headers: { 'x-api-key': admin, 'last-event-id': String(first.eventId - 1) },
      signal: abort.signal,
    });
    const seen: number[] = [];
    for await (const event of readLiveEvents(response.body as ReadableStream<Uint8Array>)) {
      if (event.type !== 'completion') continue;
      seen.push(event.id);
      expect(event.eventType).toBe('document.failed');
      if (event.id === second.eventId) break;
    }
    abort.abort();
    expect(seen).toEqual([first.eventId, second.eventId]);
  });
});
