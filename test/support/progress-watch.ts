import { progressChannel } from '@aegis/queue';
import { Redis } from 'ioredis';

export interface ProgressEventRecord {
  type: string;
  documentId: string;
  version: number;
  stage?: string;
  status: string;
  done?: number;
}

export interface ProgressWatch {
  /** Resolves with the first event (from now on) matching `predicate`. */
  next(predicate: (event: ProgressEventRecord) => boolean, timeoutMs?: number): Promise<ProgressEventRecord>;
  close(): void;
}

/** Listens to the pipeline's progress events (Redis pub/sub) so tests wait on events, never on sleeps. */
export async function watchProgress(redisUrl: string, queuePrefix: string): Promise<ProgressWatch> {
  const listener = new Redis(redisUrl);
  const waiters = new Set<{
    predicate: (event: ProgressEventRecord) => boolean;
    resolve: (e: ProgressEventRecord) => void;
  }>();
  listener.on('message', (_channel: string, message: string) => {
    const event = JSON.parse(message) as ProgressEventRecord;
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  await listener.subscribe(progressChannel(queuePrefix));
  return {
    next(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: ProgressEventRecord) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching progress event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      listener.disconnect();
    },
  };
}
