import type { VersionStatus } from '@aegis/core';
import { type ProgressEvent, progressChannel } from '@aegis/queue';
import type { Redis } from 'ioredis';
import { outcomeOf } from './outcome.ts';

export interface FinalVersionEvents {
  /** Resolves once subscribed: events published after this are seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Calls `onFinal` for every progress event saying a version reached a final state. Pub/sub drops messages
 * while disconnected, so this only makes the watcher prompt; its periodic Postgres check makes it correct.
 * `redis` must be a connection of its own: a subscribed connection can run no other commands.
 */
export function subscribeFinalVersions(options: {
  redis: Redis;
  queuePrefix: string;
  onFinal: (documentId: string, version: number, status: VersionStatus) => void;
}): FinalVersionEvents {
  const { redis, onFinal } = options;
  const channel = progressChannel(options.queuePrefix);
  redis.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    let event: ProgressEvent;
    try {
      event = JSON.parse(message) as ProgressEvent;
    } catch {
      return;
    }
    if (event.type === 'version' && outcomeOf(event.status) !== undefined)
      onFinal(event.documentId, event.version, event.status);
  });
  const ready = redis.subscribe(channel).then(() => {});
  return {
    ready,
    async close() {
      await ready.catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
