import { AegisError } from '@aegis/core';
import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` (blocking commands must wait
 * through reconnects); producers give up after a few retries, so an API request is not held for long while
 * Redis is down. Both queue commands issued before the connection is up (a fresh client is not yet connected).
 */
export function createRedisConnection(
  url: string,
  role: 'worker' | 'producer',
  onError?: (error: Error) => void,
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    connectionName: `aegis-${role}`,
  });
  // ioredis reconnects by itself; without a listener every failed reconnect is an "Unhandled error event".
  redis.on('error', (error: Error) => onError?.(error));
  return redis;
}

/**
 * BullMQ keeps jobs as ordinary keys: a Redis that evicts keys under memory pressure silently loses work.
 * Refuse to start unless the policy is `noeviction` (read with CONFIG GET, or INFO where CONFIG is disabled).
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    const info = await redis.info('memory');
    policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  }
  if (policy !== 'noeviction') {
    throw new AegisError(
      'REDIS_EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy ?? 'unknown'}"; queues need "noeviction" or jobs can vanish under memory pressure. ` +
        'Set it with `redis-cli config set maxmemory-policy noeviction` (and in redis.conf).',
    );
  }
}
