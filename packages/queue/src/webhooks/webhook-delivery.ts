import type { CompletionEvent, DeliveryKey, WebhookStore } from '@aegis/stores';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { postOnce } from './post.ts';
import { SIGNATURE_HEADER, signPayload } from './signing.ts';

/** The BullMQ queue of webhook deliveries (one job per delivery round). */
export const WEBHOOK_QUEUE = 'webhook-delivery';

/**
 * Job id of a delivery: `<event id>-<webhook id>`, and `-r<n>` for the n-th replay (ADR 018). Deterministic, so
 * a dispatcher that runs twice adds nothing twice (BullMQ refuses `:` in custom ids, hence `-`).
 */
export function deliveryJobId(key: DeliveryKey): string {
  return `${key.eventId}-${key.webhookId}${key.replay > 0 ? `-r${key.replay}` : ''}`;
}

export interface WebhookSettings {
  /** Attempts per delivery round (the first included). */
  maxAttempts: number;
  /** First retry delay, doubling each attempt (BullMQ exponential backoff), in ms. */
  backoffMs: number;
  /** Bound of one HTTP exchange, in ms. */
  timeoutMs: number;
  /** Loopback and private targets are refused unless true (tests, trusted networks). */
  allowPrivateUrls: boolean;
}

export interface WebhookQueue {
  queue: Queue<DeliveryKey>;
  /** Adds the delivery's job; an id already there (waiting, delayed, active or kept) is a no-op. */
  enqueue(keys: readonly DeliveryKey[]): Promise<void>;
  close(): Promise<void>;
}

export function createWebhookQueue(options: {
  connection: Redis;
  prefix: string;
  settings: Pick<WebhookSettings, 'maxAttempts' | 'backoffMs'>;
}): WebhookQueue {
  const queue = new Queue<DeliveryKey>(WEBHOOK_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: options.settings.maxAttempts,
      backoff: { type: 'exponential', delay: options.settings.backoffMs, jitter: 0.2 },
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 7 * 86_400, count: 10_000 },
    },
  });
  return {
    queue,
    async enqueue(keys) {
      if (keys.length === 0) return;
      await queue.addBulk(
        keys.map((key) => ({ name: 'deliver', data: key, opts: { jobId: deliveryJobId(key) } })),
      );
    },
    close: () => queue.close(),
  };
}

/** The JSON body a receiver gets. */
export function deliveryBody(event: CompletionEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: {
      documentId: event.documentId,
      version: event.version,
      knowledgeBase: event.knowledgeBase,
      stage: event.stage,
      status: event.status,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
    },
  });
}

export interface WebhookWorkerOptions {
  connection: Redis;
  prefix: string;
  store: WebhookStore;
  settings: WebhookSettings;
  /** Masks error texts (response excerpts, network errors) before they enter the delivery log. */
  mask: (text: string) => string;
  concurrency?: number | undefined;
  lockTimings: { lockDuration: number; lockRenewTime: number; stalledInterval: number };
  workerId?: string | undefined;
  onDelivered?: ((outcome: 'succeeded' | 'failed' | 'duplicate') => void) | undefined;
}

/**
 * Delivers one round of one (event, webhook): skips what is already delivered or superseded by a replay, signs
 * `timestamp.body`, POSTs, logs the attempt; a non-2xx or network failure throws so BullMQ retries with backoff.
 */
export function startWebhookWorker(options: WebhookWorkerOptions): Worker<DeliveryKey> {
  const { store, settings } = options;
  const worker = new Worker<DeliveryKey>(
    WEBHOOK_QUEUE,
    async (job) => {
      const key = job.data;
      const target = await store.target(key);
      // Webhook removed, or a later replay round owns the delivery now, or this round already succeeded.
      if (!target || target.replays !== key.replay || target.status !== 'pending') return 'skipped';
      const body = deliveryBody(target.event);
      const timestamp = Math.floor(Date.now() / 1000);
      const result = await postOnce(
        target.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'aegis-webhooks/1',
          [SIGNATURE_HEADER]: signPayload(target.secret, body, timestamp),
          'x-aegis-event-id': String(target.event.id),
          'x-aegis-event-type': target.event.type,
          // At-least-once on the wire: receivers drop repeats by this key.
          'idempotency-key': String(target.event.id),
          'x-aegis-delivery': deliveryJobId(key),
        },
        { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivateUrls },
      );
      const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
      // A 4xx other than 408/429 will not change by retrying: the round ends here.
      const permanent =
        result.status !== undefined &&
        result.status >= 400 &&
        result.status < 500 &&
        ![408, 429].includes(result.status);
      const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const recorded = await store.recordAttempt(key, {
        outcome: ok ? 'succeeded' : 'failed',
        responseCode: result.status ?? null,
        durationMs: result.durationMs,
        error: ok || result.detail === undefined ? null : options.mask(result.detail).slice(0, 500),
        final,
      });
      options.onDelivered?.(ok ? (recorded ? 'succeeded' : 'duplicate') : 'failed');
      if (ok) return recorded ? 'delivered' : 'duplicate';
      const why = `webhook answered ${result.status ?? 'nothing'}${result.detail ? `: ${options.mask(result.detail).slice(0, 200)}` : ''}`;
      throw permanent ? new UnrecoverableError(why) : new Error(why);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 8,
      ...options.lockTimings,
      maxStalledCount: 2,
      ...(options.workerId === undefined ? {} : { name: options.workerId }),
    },
  );
  worker.on('error', () => {});
  return worker;
}
