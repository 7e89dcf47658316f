import type { ApiKeyRole } from '@aegis/stores';

/**
 * What a route requires:
 * - `public`: nothing. Only `/healthz` (liveness probes of docker/k8s carry no credentials) and the admin
 *   login form, which is how a browser exchanges a key for a session.
 * - a role: an API key with that role (admin implies every role).
 * - `metrics`: the `METRICS_TOKEN` bearer token, or an admin key.
 */
export type Access = 'public' | ApiKeyRole | 'metrics';

/** Per-route settings every route must declare in `config` (checked when routes are registered). */
export interface RouteAccess {
  access: Access;
  /** Also accept the admin browser session cookie (Bull Board, /docs, /admin/*). Default false. */
  session?: boolean | undefined;
  /** Audit name, e.g. `document.delete`; default `METHOD /route/pattern`. */
  action?: string | undefined;
  /**
   * The route shows or changes data of every knowledge base (keys, queues, metrics): a key scoped to
   * knowledge bases is refused with 403. Default false.
   */
  global?: boolean | undefined;
}

/**
 * Routes registered by third-party plugins carry no `config.access`; they get it from their prefix here.
 * A route with neither fails registration, so a new route cannot ship unauthenticated by accident.
 */
export const PLUGIN_ROUTE_ACCESS: ReadonlyArray<{ prefix: string; access: RouteAccess }> = [
  // Bull Board: its UI, static assets and JSON API (which can pause, retry, clean and obliterate queues).
  { prefix: '/admin/queues', access: { access: 'admin', session: true, global: true } },
  // Swagger UI and the OpenAPI document.
  { prefix: '/docs', access: { access: 'read', session: true } },
  // @fastify/cors's catch-all OPTIONS route (only when ALLOWED_ORIGINS is set): browsers send preflights
  // without credentials, and the CORS hook answers them before any handler runs.
  { prefix: '*', access: { access: 'public' } },
];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    session?: boolean;
    action?: string;
    global?: boolean;
  }
}

/** The access declared for a route, or from its plugin prefix; `undefined` when neither says. */
export function routeAccess(url: string, config: Partial<RouteAccess> | undefined): RouteAccess | undefined {
  if (config?.access !== undefined)
    return { access: config.access, session: config.session, action: config.action, global: config.global };
  return PLUGIN_ROUTE_ACCESS.find(({ prefix }) => url === prefix || url.startsWith(`${prefix}/`))?.access;
}
