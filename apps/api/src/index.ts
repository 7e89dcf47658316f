export type { BuildAppOptions } from './app.ts';
export { buildApp } from './app.ts';
export type { ApiContext, ApiRuntime } from './app-context.ts';
export type { Access, RouteAccess } from './auth/access.ts';
export { PLUGIN_ROUTE_ACCESS } from './auth/access.ts';
export type { LocalOperator } from './auth/auth-hook.ts';
export { createInjectFetch } from './local/inject-fetch.ts';
export { checkReadiness } from './readiness.ts';
