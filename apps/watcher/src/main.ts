#!/usr/bin/env node
import { isAegisError } from '@aegis/core';
import { exitOnSignals } from '@aegis/observability';
import { createAppLogger, prepareEntryPoint, startWorkerRuntime } from '@aegis/worker';
import { Command } from 'commander';
import { startWatcher } from './watcher.ts';

const program = new Command('aegis-watcher')
  .description(
    'Ingests every file fully written into INBOX_DIR (default ./inbox) and files it under processed/ or failed/ once its document is final. Runs until SIGTERM or SIGINT. Configuration comes from the environment and ./.env (see .env.example).',
  )
  .option('--inbox <folder>', 'watch this folder instead of INBOX_DIR');

const { options, config } = prepareEntryPoint<{ inbox?: string; envFile?: string }>(program, process.argv);
const logger = createAppLogger(config, { name: 'aegis-watcher' });

try {
  // Producer only: the stage workers run in their own processes (npm run worker).
  // /metrics and /healthz on METRICS_PORT: Prometheus scrapes the watcher, compose probes it.
  const runtime = await startWorkerRuntime({ config, logger, stages: [], metricsServer: true });
  const watcher = startWatcher({
    runtime,
    inboxDir: options.inbox ?? config.watcher.inboxDir,
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
