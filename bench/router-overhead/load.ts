/** One request of a mode; resolves when the whole response has been received and parsed. */
export type Call = () => Promise<unknown>;

/**
 * Runs `count` calls with `concurrency` of them in flight at all times (closed loop: a worker issues its next
 * call as soon as its previous one returns), pushing each call's latency into `latencies`.
 * Returns the block's wall time in ms. Any failed call rejects the block: an error would be a (fast) sample
 * of something other than the happy path we are measuring.
 */
export async function runBlock(
  call: Call,
  count: number,
  concurrency: number,
  latencies: number[],
): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < count) {
      issued += 1;
      const started = performance.now();
      await call();
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}
