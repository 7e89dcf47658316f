import type { AppConfig } from '@aegis/config';
import type { Logger } from '@aegis/llm-router';
import type { Registry } from '@aegis/observability';
import { type MetricsServer, startMetricsServer } from '@aegis/queue';

/**
 * The worker's Prometheus endpoint: `/metrics` on METRICS_PORT (0 = a free port), behind
 * `Authorization: Bearer <METRICS_TOKEN>` when a token is configured, and an unauthenticated `/healthz` for
 * container health checks.
 */
export async function startWorkerMetricsServer(
  config: AppConfig,
  registry: Registry,
  logger: Logger,
): Promise<MetricsServer> {
  const server = await startMetricsServer({
    registry,
    port: config.metrics.port,
    token: config.metrics.token,
    onError: (error) => logger.warn({ err: error }, 'metrics scrape failed'),
  });
  logger.info(
    { port: server.port, auth: config.metrics.token === undefined ? 'none' : 'bearer' },
    'metrics server listening',
  );
  return server;
}
