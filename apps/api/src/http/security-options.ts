import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * Helmet's defaults, except `upgrade-insecure-requests`: TLS ends at the proxy in production (HSTS covers
 * it there), and on plain-HTTP development and test hosts the directive would break every page's assets.
 */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  crossOriginEmbedderPolicy: false,
};

/** CORS for the configured origins only; `undefined` (no plugin, no CORS headers at all) when none are. */
export function corsOptions(allowedOrigins: readonly string[]): FastifyCorsOptions | undefined {
  if (allowedOrigins.length === 0) return undefined;
  return {
    origin: allowedOrigins.includes('*') ? '*' : [...allowedOrigins],
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    // Browser callers authenticate with headers, never with our cookie, so no credentialed CORS.
    credentials: false,
    maxAge: 600,
  };
}
