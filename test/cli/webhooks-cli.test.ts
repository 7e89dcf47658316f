import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@aegis/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningApi, listenApi, runAegis } from '../support/cli.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const PEPPER = randomBytes(24).toString('hex');

/** Polls `check` until it returns a value; the suite's timeout bounds the wait. */
async function until<T>(check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `aegis webhooks` end to end: the CLI over HTTP, the API, a worker delivering to a real receiver. */
describe('aegis webhooks against a remote API', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  let api: ListeningApi;
  let admin: string;
  let reader: string;
  const received: Array<{ body: string; signature: string; key: string }> = [];
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(request.headers['x-aegis-signature']),
        key: String(request.headers['idempotency-key']),
      });
      response.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    harness = await createPipelineHarness({
      env: {
        API_KEY_PEPPER: PEPPER,
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL_MS: '100',
      },
    });
    api = await listenApi(harness, PEPPER);
    admin = await api.key('hooks-admin', ['admin']);
    reader = await api.key('hooks-reader', ['read']);
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    receiver.close();
    await api?.close();
    await harness?.close();
  });

  const aegis = (args: string[], key = admin) =>
    runAegis([...args, '--json'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      AEGIS_URL: api.url,
      AEGIS_API_KEY: key,
    });

  it('adds a webhook, delivers a signed completion, lists the delivery, replays it and removes the webhook', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/aegis`;
    const added = await aegis(['webhooks', 'add', url, '--events', 'document.completed']);
    expect(added.code, added.stderr).toBe(0);
    const webhook = JSON.parse(added.stdout) as { id: string; secret: string; knowledgeBase: null };
    expect(webhook.knowledgeBase).toBeNull();
    const listed = await aegis(['webhooks', 'list']);
    expect(listed.stdout).toContain(webhook.id);
    expect(listed.stdout).not.toContain(webhook.secret);

    const ingested = await harness.runtime.producer.ingest({
      data: new TextEncoder().encode('# Hooks\n\nCharles Babbage and the Difference Engine.'),
      displayName: 'hooks.md',
    });
    expect(await harness.waitForVersion(ingested.documentId, ingested.version)).toBe('completed');
    const first = await until(() => received[0]);
    expect(verifySignature(webhook.secret, first.body, first.signature)).toBe(true);
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'document.completed',
      data: { documentId: ingested.documentId, status: 'completed' },
    });

    const deliveries = await until(async () => {
      const listing = JSON.parse((await aegis(['webhooks', 'deliveries', webhook.id])).stdout) as Array<{
        id: string;
        status: string;
        log: Array<{ outcome: string; responseCode: number }>;
      }>;
      return listing[0]?.status === 'succeeded' ? listing : undefined;
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.log.map((entry) => [entry.outcome, entry.responseCode])).toEqual([
      ['succeeded', 204],
    ]);

    // The delivery worker counts its attempts.
    expect(await harness.runtime.registry.metrics()).toMatch(
      /aegis_webhook_attempts_total\{outcome="succeeded"\} [1-9]/,
    );

    const replay = await aegis(['webhooks', 'replay', webhook.id, '--delivery', deliveries[0]?.id as string]);
    expect(replay.code, replay.stderr).toBe(0);
    const second = await until(() => received[1]);
    expect(second.key).toBe(first.key);

    // Webhooks are for admin keys.
    expect((await aegis(['webhooks', 'list'], reader)).code).not.toBe(0);
    expect((await aegis(['webhooks', 'remove', webhook.id])).code).toBe(0);
    expect(JSON.parse((await aegis(['webhooks', 'list'])).stdout)).toEqual([]);
  });
});
