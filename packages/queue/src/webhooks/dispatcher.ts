import type { DeliveryKey, WebhookStore } from '@aegis/stores';
import { deliveryJobId, type WebhookQueue } from './webhook-delivery.ts';

/** What the delivery log says when BullMQ gave a delivery's job up without the worker recording its end. */
export const GIVEN_UP_BY_QUEUE =
  'the delivery job was given up by the queue (its worker stopped repeatedly); replay it to try again';

export interface WebhookDispatcherOptions {
  store: WebhookStore;
  queue: WebhookQueue;
  /** How often the outbox is read, in ms. */
  intervalMs: number;
  /** Pending deliveries untouched this long get their job added again (a no-op when it exists), in ms. */
  recoverAfterMs: number;
  /** Events older than this many days, nothing of theirs pending, are pruned by the recovery pass. */
  retentionDays?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * One pass: turns undispatched outbox events into deliveries (committed first), then enqueues their jobs under
 * deterministic ids. A kill between the two leaves pending deliveries without a job: `recover` adds them again.
 * Any number of dispatchers may run: events are claimed with SKIP LOCKED and job ids are idempotent.
 */
export async function dispatchOnce(
  store: WebhookStore,
  queue: WebhookQueue,
  options: { batch?: number; recoverAfterMs?: number; retentionDays?: number | undefined } = {},
): Promise<number> {
  let total = 0;
  for (;;) {
    const keys = await store.dispatch(options.batch ?? 200);
    await queue.enqueue(keys);
    total += keys.length;
    if (keys.length === 0) break;
  }
  if (options.recoverAfterMs !== undefined)
    await recoverStale(store, queue, await store.stalePending(options.recoverAfterMs, 500));
  // Bounded batches: a large backlog goes over several passes without one long lock.
  if (options.retentionDays !== undefined) await store.pruneEvents(options.retentionDays, 1_000);
  return total;
}

/**
 * Pending deliveries nobody touched for a while: a job that is missing (a dispatcher died before its enqueue) is
 * added again; a job BullMQ failed on its own (stalled limit after worker deaths) never recorded its end, so the
 * round is closed as failed in the delivery log instead of staying `pending` for ever.
 */
async function recoverStale(store: WebhookStore, queue: WebhookQueue, keys: DeliveryKey[]): Promise<void> {
  const missing: DeliveryKey[] = [];
  for (const key of keys) {
    const job = await queue.queue.getJob(deliveryJobId(key));
    if (!job) missing.push(key);
    else if ((await job.getState()) === 'failed')
      await store.recordAttempt(key, {
        outcome: 'failed',
        responseCode: null,
        durationMs: 0,
        error: GIVEN_UP_BY_QUEUE,
        final: true,
      });
  }
  await queue.enqueue(missing);
}

/**
 * Runs `dispatchOnce` every `intervalMs` (the recovery and pruning pass every 30th time) until the returned stop is
 * called.
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): () => Promise<void> {
  let stopped = false;
  let tick = 0;
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    if (stopped) return;
    const recover = tick % 30 === 0;
    tick += 1;
    running = dispatchOnce(
      options.store,
      options.queue,
      recover ? { recoverAfterMs: options.recoverAfterMs, retentionDays: options.retentionDays } : {},
    )
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(run, options.intervalMs);
      });
  };
  let timer: NodeJS.Timeout = setTimeout(run, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
