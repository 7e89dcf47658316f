#!/usr/bin/env node
import { loadConfig, secretKeyNames } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import { createLogger, exitOnSignals } from '@aegis/observability';
import { startWorkerRuntime } from '@aegis/worker';
import { buildApp } from './app.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  // Production without its secrets (or any invalid setting) ends here, with every problem listed at once.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
const logger = createLogger({ level: config.logLevel, name: 'aegis-api', secretKeys: secretKeyNames() });

try {
  // A producer-only runtime: the API registers and enqueues; separate worker processes run the stages.
  const runtime = await startWorkerRuntime({ config, logger, stages: [] });
  const app = await buildApp({ config, runtime, logger });
  await app.listen({ host: config.api.host, port: config.api.port });
  // app.close() stops accepting, waits for in-flight requests and audit writes; then the runtime closes.
  exitOnSignals({
    logger,
    what: 'finishing in-flight requests',
    close: () => app.close().then(() => runtime.close()),
  });
} catch (error) {
  logger.error({ code: isAegisError(error) ? error.code : 'INTERNAL', err: error }, 'api failed to start');
  process.exit(1);
}
