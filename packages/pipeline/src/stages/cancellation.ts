import { AegisError } from '@aegis/core';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/**
 * Stops a stage between two units of work (a page range, an image, a batch) when the version is being
 * cancelled, so a cancel takes effect within one batch, or when a retry superseded this run.
 */
export async function stopIfCancelled(deps: PipelineDeps, run: StageRun): Promise<void> {
  if (await deps.repository.isCancelling(run.documentId, run.version)) {
    throw new AegisError(
      'DOCUMENT_CANCELLED',
      `document ${run.documentId} version ${run.version} was cancelled`,
    );
  }
  if (run.isCurrent && !(await run.isCurrent())) {
    throw new AegisError(
      'RUN_SUPERSEDED',
      `run ${run.run ?? '?'} of document ${run.documentId} version ${run.version} was superseded by a retry`,
    );
  }
}

/** Runs `work` over `items` with at most `limit` in flight, in order of start; the first error stops new work. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (failed === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failed ??= error;
      }
    }
  });
  await Promise.all(lanes);
  if (failed !== undefined) throw failed;
}
