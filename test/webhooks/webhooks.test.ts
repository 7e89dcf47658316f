import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliveryJobId, dispatchOnce, signPayload, verifySignature, WEBHOOK_QUEUE } from '@aegis/queue';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../support/fault-model.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** One request as the receiver saw it. */
interface Received {
  eventId: string;
  body: string;
  signature: string;
  idempotencyKey: string;
  answered: number | 'hung';
}

/**
 * A real HTTP receiver on a free port: `decide(eventId, nth)` says how to answer the nth request of an event
 * (a status code, or `hang` to hold the request open without answering).
 */
async function startReceiver(decide: (eventId: string, nth: number) => number | 'hang') {
  const received: Received[] = [];
  const hung = new Set<http.ServerResponse>();
  const arrivals: Array<() => void> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const eventId = String(request.headers['x-aegis-event-id']);
      const nth = received.filter((entry) => entry.eventId === eventId).length + 1;
      const answer = decide(eventId, nth);
      received.push({
        eventId,
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(request.headers['x-aegis-signature']),
        idempotencyKey: String(request.headers['idempotency-key']),
        answered: answer === 'hang' ? 'hung' : answer,
      });
      for (const arrived of arrivals.splice(0)) arrived();
      if (answer === 'hang') {
        hung.add(response);
        return;
      }
      response
        .writeHead(answer, { 'content-type': 'text/plain' })
        .end(answer >= 300 ? 'receiver says no' : 'ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    /** Resolves at the next request's arrival. */
    nextArrival: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    async close() {
      for (const response of hung) response.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Polls `check` until it returns a value (conditions, not durations, decide; the suite's timeout bounds it). */
async function until<T>(check: () => Promise<T | undefined>, pauseMs = 100): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

const WEBHOOK_ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_BACKOFF_MS: '100',
  WEBHOOK_MAX_ATTEMPTS: '6',
  WEBHOOK_DISPATCH_INTERVAL_MS: '100',
  // A killed worker's delivery is taken over within 1.5 s.
  WORKER_LOCK_DURATION_MS: '1500',
};

describe('completion webhooks with a real receiver and real worker processes', { timeout: 120_000 }, () => {
  let h: PipelineHarness;
  const workers: ChildProcess[] = [];
  let counter = 0;

  /** A registered document whose version is then moved to `failed` by the registry: one `document.failed` event. */
  async function failADocument(knowledgeBase = 'default'): Promise<number> {
    counter += 1;
    const before = await h.runtime.webhooks.store.lastEventId();
    const registration = await h.runtime.producer.ingest({
      data: new TextEncoder().encode(`webhook test document ${counter} ${Date.now()}`),
      displayName: `hook-${counter}.txt`,
      knowledgeBase,
    });
    await h.runtime.pipeline.repository.setVersionStatus(
      registration.documentId,
      registration.version,
      'failed',
      {
        errorCode: 'PARSE_FAILED',
        errorMessage: 'test failure',
      },
    );
    const events = await h.runtime.webhooks.store.eventsAfter(before, 100);
    const event = events.find((entry) => entry.documentId === registration.documentId);
    if (!event) throw new Error('no completion event was written');
    return event.id;
  }

  const deliveryOf = async (webhookId: string, eventId: number) =>
    (await h.runtime.webhooks.store.deliveries(webhookId, { eventId }))[0];

  beforeAll(async () => {
    // A producer-only runtime here; deliveries run in worker child processes (only the graph stage, which the
    // test's documents never reach, so they do nothing else).
    h = await createPipelineHarness({ startWorkers: false, env: WEBHOOK_ENV });
  });
  afterEach(() => {
    for (const worker of workers.splice(0)) worker.kill('SIGKILL');
  });
  afterAll(async () => {
    await h?.close();
  });

  const spawnWorker = (): ChildProcess => {
    const child = startWorker(
      { harness: h, workers: [] },
      {
        ...WEBHOOK_ENV,
        WORKER_STAGES: 'graph',
        ...(process.env.WEBHOOK_TEST_LOG ? { LOG_LEVEL: process.env.WEBHOOK_TEST_LOG } : {}),
      },
    );
    workers.push(child);
    return child;
  };

  it('signs every delivery verifiably and retries after the receiver answers 500', async () => {
    const receiver = await startReceiver((_, nth) => (nth === 1 ? 500 : 200));
    try {
      const { webhook, secret } = await h.runtime.webhooks.store.create({
        url: receiver.url,
        knowledgeBase: null,
      });
      spawnWorker();
      const eventId = await failADocument();
      const delivery = await until(async () => {
        const found = await deliveryOf(webhook.id, eventId);
        return found?.status === 'succeeded' ? found : undefined;
      });
      const requests = receiver.received.filter((entry) => entry.eventId === String(eventId));
      expect(requests.map((entry) => entry.answered)).toEqual([500, 200]);
      for (const request of requests) {
        // Recomputed here from the secret shown once: HMAC-SHA256 over "t.body".
        const t = Number(/t=(\d+)/.exec(request.signature)?.[1]);
        expect(request.signature).toBe(signPayload(secret, request.body, t));
        expect(verifySignature(secret, request.body, request.signature)).toBe(true);
        expect(verifySignature(`${secret}x`, request.body, request.signature)).toBe(false);
        expect(verifySignature(secret, `${request.body} `, request.signature)).toBe(false);
        expect(request.idempotencyKey).toBe(String(eventId));
        expect(JSON.parse(request.body)).toMatchObject({
          id: eventId,
          type: 'document.failed',
          data: { status: 'failed', errorCode: 'PARSE_FAILED', knowledgeBase: 'default' },
        });
      }
      expect(delivery.attempts).toBe(2);
      expect(delivery.log.map((entry) => [entry.outcome, entry.responseCode])).toEqual([
        ['failed', 500],
        ['succeeded', 200],
      ]);
      expect(delivery.log[0]?.error).toContain('receiver says no');

      // Replay: a new round, delivered once more under the same idempotency key.
      await h.runtime.webhooks.queue.enqueue(await h.runtime.webhooks.store.replay(webhook.id, { eventId }));
      const replayed = await until(async () => {
        const found = await deliveryOf(webhook.id, eventId);
        return found?.status === 'succeeded' && found.replays === 1 ? found : undefined;
      });
      expect(
        replayed.log.filter((entry) => entry.outcome === 'succeeded').map((entry) => entry.replay),
      ).toEqual([0, 1]);
      await h.runtime.webhooks.store.remove(webhook.id);
    } finally {
      await receiver.close();
    }
  });

  it('records no delivery as succeeded twice when the worker is killed -9 mid-delivery', async () => {
    let hangFirst = true;
    const receiver = await startReceiver(() => {
      if (hangFirst) {
        hangFirst = false;
        return 'hang';
      }
      return 200;
    });
    try {
      const hooks = await Promise.all([
        h.runtime.webhooks.store.create({ url: receiver.url, knowledgeBase: null }),
        h.runtime.webhooks.store.create({ url: `${receiver.url}?second`, knowledgeBase: 'default' }),
      ]);
      const first = spawnWorker();
      const arrived = receiver.nextArrival();
      const eventIds: number[] = [];
      for (let index = 0; index < 4; index += 1) eventIds.push(await failADocument());
      // The first request reached the receiver and is held open: the worker dies with it in flight.
      await arrived;
      first.kill('SIGKILL');
      await once(first, 'exit');
      spawnWorker();
      for (const eventId of eventIds)
        for (const { webhook } of hooks)
          await until(async () =>
            (await deliveryOf(webhook.id, eventId))?.status === 'succeeded' ? true : undefined,
          );

      for (const eventId of eventIds)
        for (const { webhook } of hooks) {
          const delivery = await deliveryOf(webhook.id, eventId);
          expect(delivery?.log.filter((entry) => entry.outcome === 'succeeded')).toHaveLength(1);
        }
      // The killed request was sent again (at-least-once on the wire) under the same idempotency key.
      const hungRequest = receiver.received.find((entry) => entry.answered === 'hung');
      const again = receiver.received.filter(
        (entry) => entry.idempotencyKey === hungRequest?.idempotencyKey && entry.answered === 200,
      );
      expect(again.length).toBeGreaterThanOrEqual(1);
      // Every (event, webhook) pair was answered 200 at least once; one per pair unless its job ran twice.
      const rows = await h.db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_delivery_attempts WHERE outcome = 'succeeded' AND event_id = ANY ($1::bigint[])`,
        [eventIds],
      );
      expect(Number(rows.rows[0]?.n)).toBe(eventIds.length * hooks.length);
    } finally {
      await receiver.close();
    }
  });

  it('re-adds the jobs of a dispatcher killed between its commit and its enqueue, and never adds one twice', async () => {
    const { store, queue } = h.runtime.webhooks;
    const { webhook } = await store.create({ url: 'http://127.0.0.1:9/never', knowledgeBase: null });
    const eventId = await failADocument();
    // The dispatcher's transaction committed (deliveries exist, the event is dispatched), then it died.
    const committed = (await store.dispatch(100)).filter((key) => key.webhookId === webhook.id);
    expect(committed).toEqual([{ eventId, webhookId: webhook.id, replay: 0 }]);
    const jobId = deliveryJobId({ eventId, webhookId: webhook.id, replay: 0 });
    expect(await queue.queue.getJob(jobId)).toBeUndefined();
    // The recovery pass (here with no grace period) adds the missing job; running it again adds nothing.
    await dispatchOnce(store, queue, { recoverAfterMs: 0 });
    await dispatchOnce(store, queue, { recoverAfterMs: 0 });
    expect((await queue.queue.getJob(jobId))?.id).toBe(jobId);
    const jobs = await queue.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.filter((job) => job.data.webhookId === webhook.id)).toHaveLength(1);
    await store.remove(webhook.id);
  });
  it('closes as failed a round whose job BullMQ gave up without the worker recording its end', async () => {
    const { store, queue } = h.runtime.webhooks;
    const { webhook } = await store.create({ url: 'http://127.0.0.1:9/never', knowledgeBase: null });
    const eventId = await failADocument();
    const keys = (await store.dispatch(100)).filter((key) => key.webhookId === webhook.id);
    await queue.enqueue(keys);
    // A worker that dies on every try ends as BullMQ's own failure: here a processor that fails without a record.
    const dying = new Worker(
      WEBHOOK_QUEUE,
      async () => {
        throw new UnrecoverableError('job stalled more than allowable limit');
      },
      {
        connection: h.runtime.redis.duplicate({ maxRetriesPerRequest: null }),
        prefix: h.config.redis.queuePrefix,
      },
    );
    const jobId = deliveryJobId({ eventId, webhookId: webhook.id, replay: 0 });
    for (
      let tries = 0;
      (await queue.queue.getJob(jobId).then((job) => job?.getState())) !== 'failed';
      tries += 1
    ) {
      if (tries > 600) throw new Error('the delivery job did not fail');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await dying.close();
    expect((await deliveryOf(webhook.id, eventId))?.status).toBe('pending');
    await dispatchOnce(store, queue, { recoverAfterMs: 0 });
    const delivery = await deliveryOf(webhook.id, eventId);
    expect(delivery?.status).toBe('failed');
    // Replay starts a new round that a live worker could deliver.
    expect(await store.replay(webhook.id, { eventId })).toEqual([
      { eventId, webhookId: webhook.id, replay: 1 },
    ]);
    await store.remove(webhook.id);
  });
});
