#!/usr/bin/env node
import { loadConfig, secretKeyNames } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import { createLogger, exitOnSignals } from '@aegis/observability';
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
  exitOnSignals({
    logger,
    what: 'finishing the file in hand',
    close: () => watcher.close().then(() => runtime.close()),
  });
  await watcher.ready;
} catch (error) {
  logger.error(
    { code: isAegisError(error) ? error.code : 'INTERNAL', err: error },
    'watcher failed to start',
  );
  process.exit(1);
}
