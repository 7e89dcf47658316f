import { AegisError } from '@aegis/core';
import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export interface RateLimitSettings {
  /** Requests per window per key (`RATE_LIMIT_MAX`). */
  max: number;
  /** `RATE_LIMIT_WINDOW_MS`. */
  windowMs: number;
  /** Shared counters: every API process sees the same counts. */
  redis: Redis;
  /** Redis key prefix; carries the queue prefix's hash tag so counters sit in the same cluster slot family. */
  namespace: string;
}

/** Bull Board's page polls several endpoints every few seconds: a separate, larger allowance for it. */
const DASHBOARD_FACTOR = 10;

function isDashboard(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/admin/queues') === true;
}

/** Counter identity: the API key (limits follow the key across IPs), else the metrics scraper, else the IP. */
export function rateLimitKey(request: FastifyRequest): string {
  const principal = request.principal;
  const who =
    principal?.kind === 'api-key'
      ? `key:${principal.keyId}`
      : principal?.kind === 'metrics-token'
        ? 'metrics'
        : `ip:${request.ip}`;
  return isDashboard(request) ? `${who}:dashboard` : who;
}

/**
 * @fastify/rate-limit options. The limiter's hook runs after the auth hook (route hooks follow instance
 * hooks), so it can count per key; unauthenticated requests are refused before they are counted, except on
 * public routes (the login form), which count per IP. Redis errors let requests through (`skipOnError`):
 * losing the limiter must not take the API down.
 */
export function rateLimitOptions(settings: RateLimitSettings): RateLimitPluginOptions {
  return {
    global: true,
    hook: 'onRequest',
    redis: settings.redis,
    nameSpace: settings.namespace,
    timeWindow: settings.windowMs,
    max: (_request, key) => (key.endsWith(':dashboard') ? settings.max * DASHBOARD_FACTOR : settings.max),
    keyGenerator: rateLimitKey,
    skipOnError: true,
    // While Redis is reconnecting a counter command would wait for it: skip at once, as skipOnError would.
    allowList: () => settings.redis.status !== 'ready',
    errorResponseBuilder: (_request, context) =>
      // statusCode: contexts with their own error handler (Bull Board) still answer 429.
      Object.assign(
        new AegisError(
          'RATE_LIMITED',
          `Rate limit of ${context.max} requests per ${context.after} exceeded; retry later.`,
          {
            details: { limit: context.max, retryAfterMs: context.ttl },
          },
        ),
        { statusCode: 429 },
      ),
  };
}
