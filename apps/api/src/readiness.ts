import type { AppConfig } from '@aegis/config';
import { type Diagnosis, diagnose } from '@aegis/diagnostics';
import { readCapacity } from '@aegis/queue';
import { embeddingBindings, pendingMigrations } from '@aegis/stores';
import type { ApiRuntime } from './app-context.ts';

/**
 * Readiness is `aegis doctor`'s diagnosis over the API's own connections: Redis, Postgres and migrations, the
 * blob folder, the stores, and whether the embedding and extraction chains can be served right now (a 503 names
 * each failing check with its fix). Optional tasks (vision, generation) and workers only warn.
 */
export function checkReadiness(
  runtime: ApiRuntime,
  config: AppConfig,
  timeoutMs = 2_000,
): Promise<Diagnosis> {
  return diagnose({
    config,
    redis: runtime.redis,
    pool: runtime.pool,
    stores: { vectors: runtime.pipeline.vectors, graph: runtime.pipeline.graph },
    router: runtime.pipeline.router,
    pendingMigrations: () => pendingMigrations(runtime.pool),
    embeddingBindings: () => embeddingBindings(runtime.pool),
    countWorkers: async () => (await readCapacity(runtime.redis, config.redis.queuePrefix)).workers,
    timeoutMs,
  });
}
