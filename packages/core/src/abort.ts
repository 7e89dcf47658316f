import { AegisError } from './errors.ts';

/** Throws `CANCELLED` when the signal has fired; call before each unit of work that must not start late. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

export function cancelledError(signal: AbortSignal): AegisError {
  return new AegisError('CANCELLED', 'the operation was cancelled by its caller', { cause: signal.reason });
}

/**
 * Resolves after `ms`, or rejects with `CANCELLED` as soon as the signal fires (the timer is cleared,
 * so an aborted backoff never holds the event loop open).
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelledError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
