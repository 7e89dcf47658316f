import type { AppConfig } from '@aegis/config';
import type { Logger } from '@aegis/llm-router';
import type { Registry } from '@aegis/observability';
import { type MetricsServer, startMetricsServer } from '@aegis/queue';

/**
 * The worker's Prometheus endpoint: `/metrics` on METRICS_HOST:METRICS_PORT (0 = a free port), behind
 * `Authorization: Bearer <METRICS_TOKEN>` when a token is configured, and an unauthenticated `/healthz` for
 * container health checks.
 */
export async function startWorkerMetricsServer(
  config: AppConfig,
  registry: Registry,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  let server: MetricsServer;
  try {
    server = await startMetricsServer({
      registry,
      port: config.metrics.port,
      host: config.metrics.host,
      token: config.metrics.token,
      onError: (error) => logger.warn({ err: error }, 'metrics scrape failed'),
    });
  } catch (error) {
    // A second worker on the same host finds the port taken: it must still work, only without /metrics.
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    logger.warn(
      { port: config.metrics.port },
      'metrics port in use (another process on this host); /metrics is off for this one. Set METRICS_PORT=0 for a free port',
    );
    return undefined;
  }
  logger.info(
    {
      host: config.metrics.host,
      port: server.port,
      auth: config.metrics.token === undefined ? 'none' : 'bearer',
    },
    'metrics server listening',
  );
  return server;
}
