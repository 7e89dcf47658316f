import type { Redis } from 'ioredis';
import { type ProgressEvent, progressChannel } from './progress-events.ts';

/** One Redis subscription shared by every live view of a process (SSE clients, the CLI's --wait). */
export interface ProgressSubscriber {
  /** Calls `listener` for every progress event from now on; returns the function that stops it. */
  subscribe(listener: (event: ProgressEvent) => void): () => void;
  /** Resolves once the Redis subscription is active (events published before that are not seen). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes once (on a duplicate of `redis`, since a subscribed connection can do nothing else) and fans the
 * events out in process. Progress events are best-effort views: a client that must not miss a final state
 * reads it from Postgres (the document status) or from the durable event log.
 */
export function createProgressSubscriber(redis: Redis, prefix: string): ProgressSubscriber {
  const connection = redis.duplicate();
  connection.on('error', () => {});
  const listeners = new Set<(event: ProgressEvent) => void>();
  connection.on('message', (_channel: string, message: string) => {
    let event: ProgressEvent;
    try {
      event = JSON.parse(message) as ProgressEvent;
    } catch {
      return;
    }
    for (const listener of listeners) listener(event);
  });
  const ready = connection.subscribe(progressChannel(prefix)).then(() => undefined);
  ready.catch(() => {});
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready,
    async close() {
      listeners.clear();
      connection.disconnect();
    },
  };
}
