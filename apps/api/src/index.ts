export type { BuildAppOptions } from './app.ts';
export { buildApp } from './app.ts';
export type { ApiContext, ApiRuntime } from './app-context.ts';
export type { Access, RouteAccess } from './auth/access.ts';
export { PLUGIN_ROUTE_ACCESS } from './auth/access.ts';
export type { Readiness, ReadinessCheck } from './readiness.ts';
export { checkReadiness } from './readiness.ts';
