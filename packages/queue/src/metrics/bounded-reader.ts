/** What one read of a collect-on-scrape source gave: a value, or why there is none. */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Options for `boundedReader`. */
export interface BoundedReaderOptions {
  /** A read taking longer than this fails the scrape's view of the source (the read itself goes on). Milliseconds. */
  timeoutMs: number;
  /** A result (success or failure) is reused this long, so back-to-back scrapes cost one read. Milliseconds. */
  cacheMs: number;
  /** Clock for the cache, in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Wraps a source read for collect-on-scrape metrics so that a scrape never hangs and never piles up work:
 * callers within `cacheMs` of the last result share it, concurrent callers share one read, a read is given up
 * after `timeoutMs`, and while a given-up read is still running no second one starts (a stuck database gets one
 * query from us, not one per scrape).
 */
export function boundedReader<T>(
  read: () => Promise<T>,
  options: BoundedReaderOptions,
): () => Promise<ReadResult<T>> {
  const now = options.now ?? Date.now;
  let cached: { at: number; result: ReadResult<T> } | undefined;
  let pending: Promise<ReadResult<T>> | undefined;
  let running = false;

  const start = (): Promise<ReadResult<T>> => {
    if (running) {
      return Promise.resolve({
        ok: false,
        error: new Error(`the previous read is still running after ${options.timeoutMs} ms`),
      });
    }
    running = true;
    const work: Promise<ReadResult<T>> = read().then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    void work.finally(() => {
      running = false;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ReadResult<T>>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: new Error(`read timed out after ${options.timeoutMs} ms`) }),
        options.timeoutMs,
      );
      timer.unref();
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };

  return () => {
    if (cached !== undefined && now() - cached.at < options.cacheMs) return Promise.resolve(cached.result);
    if (pending !== undefined) return pending;
    pending = start().then((result) => {
      cached = { at: now(), result };
      pending = undefined;
      return result;
    });
    return pending;
  };
}
