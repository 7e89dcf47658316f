/**
 * Races `work` against a timer. On timeout the returned promise rejects with `onTimeout()`, and the late
 * outcome of `work` is swallowed so that it cannot surface as an unhandled rejection after the caller has
 * destroyed the resources it used.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
