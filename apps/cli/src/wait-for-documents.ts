import path from 'node:path';
import type { LiveEvent } from '@aegis/client';

/** The progress events a wait follows (heartbeats are the connection's business; completions repeat `version`). */
export type ProgressEvent = Exclude<LiveEvent, { type: 'heartbeat' | 'completion' }>;

/** Statuses that end a version. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'completed_with_warnings',
  'failed',
  'cancelled',
  'superseded',
]);

export interface WaitForDocumentsOptions {
  /** `documentId/version` keys to wait for, with the label people know them by (the file name). */
  pending: ReadonlyMap<string, string>;
  /** Starts delivering progress events; returns a function that stops it. */
  subscribe(listener: (event: ProgressEvent) => void): () => void;
  /** Stop waiting after this long, in ms; 0 waits for ever. */
  timeoutMs: number;
  /** Warn about documents no worker has started after this long, in ms. */
  warnAfterMs: number;
  /** How many workers are alive right now (for the warning). */
  countWorkers(): Promise<number>;
  onEvent(event: ProgressEvent): void;
  onWarning(line: string): void;
  /** Ends the wait early (Ctrl-C). */
  signal?: AbortSignal | undefined;
}

export interface WaitResult {
  /** Final status per key. */
  finals: Map<string, string>;
  /** Keys still not final when the wait ended (timeout or abort). */
  unfinished: string[];
  reason: 'done' | 'timeout' | 'aborted';
}

const keyOf = (event: { documentId: string; version: number }) => `${event.documentId}/${event.version}`;

/**
 * Waits until every pending version is final, the timeout passes or the signal aborts. Warns once when, after
 * `warnAfterMs`, some document has not been started by any worker, saying whether any worker is alive at all:
 * silence is the one thing a person waiting must never get.
 */
export function waitForDocuments(options: WaitForDocumentsOptions): Promise<WaitResult> {
  const finals = new Map<string, string>();
  const started = new Set<string>();
  return new Promise<WaitResult>((resolve) => {
    let finished = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (reason: WaitResult['reason']): void => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ finals, unfinished: [...options.pending.keys()].filter((key) => !finals.has(key)), reason });
    };
    const onAbort = (): void => finish('aborted');
    const unsubscribe = options.subscribe((event) => {
      if (event.type === 'deleted' || !options.pending.has(keyOf(event))) return;
      const key = keyOf(event);
      if (event.type === 'stage' && event.status !== 'queued') started.add(key);
      options.onEvent(event);
      if (event.type === 'version' && FINAL_STATUSES.has(event.status)) {
        finals.set(key, event.status);
        if (finals.size === options.pending.size) finish('done');
      }
    });
    if (options.signal?.aborted) return finish('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs > 0) timers.push(setTimeout(() => finish('timeout'), options.timeoutMs));
    timers.push(
      setTimeout(() => {
        const idle = [...options.pending].filter(([key]) => !started.has(key) && !finals.has(key));
        if (idle.length === 0 || finished) return;
        void options.countWorkers().then(
          (workers) => {
            if (finished) return;
            const names = idle
              .map(([, label]) => path.basename(label))
              .slice(0, 5)
              .join(', ');
            const more = idle.length > 5 ? ` and ${idle.length - 5} more` : '';
            const seconds = Math.round(options.warnAfterMs / 1000);
            options.onWarning(
              workers === 0
                ? `warning: no worker has taken ${names}${more} after ${seconds} s, and no worker is running; start one with \`npm run worker\` (still waiting)`
                : `warning: no worker has taken ${names}${more} after ${seconds} s; ${workers} worker(s) are busy with other documents (still waiting)`,
            );
          },
          () =>
            options.onWarning(
              `warning: no worker has taken ${idle.length} document(s) after ${Math.round(options.warnAfterMs / 1000)} s, and the worker count cannot be read`,
            ),
        );
      }, options.warnAfterMs),
    );
  });
}
