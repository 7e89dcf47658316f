import { AegisError } from '@aegis/core';
import { withTimeout } from '@aegis/diagnostics';

/** How long an answer stands before Redis is asked again: "up" for a second, "down" a little longer. */
const UP_TTL_MS = 1_000;
const DOWN_TTL_MS = 2_000;
/** A PING slower than this counts as Redis being down. */
const PING_TIMEOUT_MS = 1_000;

/**
 * A fast "is Redis there" check for routes that talk to Redis through libraries we do not control (Bull Board):
 * such a library waits for a Redis that is down for seconds per command, so with Redis down every board request
 * would hang for its whole timeout. One PING answers for a second or two; concurrent callers share it.
 */
export function createRedisGate(redis: { ping(): Promise<unknown> }) {
  let answer: { up: boolean; at: number } | undefined;
  let pending: Promise<boolean> | undefined;
  const probe = (): Promise<boolean> => {
    pending ??= withTimeout(redis.ping(), PING_TIMEOUT_MS)
      .then(
        () => true,
        () => false,
      )
      .then((up) => {
        answer = { up, at: Date.now() };
        pending = undefined;
        return up;
      });
    return pending;
  };
  return {
    /** Resolves when Redis answered lately; throws QUEUE_UNAVAILABLE (503, Retry-After) when it did not. */
    async assertUp(): Promise<void> {
      const fresh = answer && Date.now() - answer.at < (answer.up ? UP_TTL_MS : DOWN_TTL_MS);
      const up = fresh && answer ? answer.up : await probe();
      if (!up)
        throw new AegisError('QUEUE_UNAVAILABLE', 'Redis (the queues) is unreachable; try again shortly.');
    },
  };
}
