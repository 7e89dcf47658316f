import type { StageQueues } from './stage-queues.ts';

/** How many delayed memory-check jobs one wake looks at (oldest delays first are not guaranteed). */
const WAKE_SCAN_LIMIT = 1_000;

/**
 * Promotes every memory-check job delayed because no worker had the headroom ("best worker headroom is 0 MiB";
 * its data carries `waitingForMemory`), so it checks again now rather than at the end of `memoryRetryDelayMs`.
 * Whoever frees memory (a sandbox process exits, a document finishes parsing) refreshes its capacity report,
 * then calls this. A job that still does not fit is delayed again; no attempt is consumed. Jobs delayed for
 * an outage keep their backoff.
 *
 * @returns how many jobs were promoted.
 */
export async function wakeMemoryWaiters(queues: StageQueues): Promise<number> {
  const queue = queues.queue('memory-check');
  const delayed = await queue.getDelayed(0, WAKE_SCAN_LIMIT - 1);
  let woken = 0;
  for (const job of delayed) {
    if ((job.data as { waitingForMemory?: boolean }).waitingForMemory !== true) continue;
    // Another worker may promote it first, or its delay may run out meanwhile: either way it runs now.
    woken += await job.promote().then(
      () => 1,
      () => 0,
    );
  }
  return woken;
}
