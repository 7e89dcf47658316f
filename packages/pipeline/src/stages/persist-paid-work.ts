import { abortableSleep, outageOf } from '@aegis/core';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/** Longest pause between two tries of a write during an outage, in ms. */
const MAX_PAUSE_MS = 5_000;

/**
 * Writes the record of work a provider was already paid for (an embedded batch, an extraction, an image
 * description), waiting out an outage of Postgres or a store instead of failing. Failing would throw the paid
 * result away, and the stage's next attempt would buy it again: the one embed batch billed twice after a
 * Postgres outage. Errors that are not outages fail at once; an aborted job stops waiting.
 */
export async function persistPaidWork<T>(
  deps: PipelineDeps,
  run: StageRun,
  what: string,
  write: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const dependency = outageOf(error);
      if (dependency === undefined || run.signal?.aborted) throw error;
      if (attempt === 0)
        deps.logger.warn(
          { documentId: run.documentId, version: run.version, dependency, what },
          'paid work cannot be recorded yet; waiting for the dependency to return',
        );
      await abortableSleep(Math.min(MAX_PAUSE_MS, 100 * 2 ** attempt), run.signal);
    }
  }
}
