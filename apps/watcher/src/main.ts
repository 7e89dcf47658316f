#!/usr/bin/env node
import { loadConfig, secretKeyNames } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { startWorkerRuntime } from '@aegis/worker';
import { startWatcher } from './watcher.ts';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, name: 'aegis-watcher', secretKeys: secretKeyNames() });

try {
  // Producer only: the stage workers run in their own processes (npm run worker).
  // /metrics and /healthz on METRICS_PORT: Prometheus scrapes the watcher, compose probes it.
  const runtime = await startWorkerRuntime({ config, logger, stages: [], metricsServer: true });
  const watcher = startWatcher({
    runtime,
    inboxDir: config.watcher.inboxDir,
    stableMs: config.watcher.stableMs,
    logger,
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing the file in hand');
    watcher
      .close()
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await watcher.ready;
} catch (error) {
  logger.error(
    { code: isAegisError(error) ? error.code : 'INTERNAL', err: error },
    'watcher failed to start',
  );
  process.exit(1);
}
