#!/usr/bin/env node
import { isAegisError } from '@aegis/core';
import { exitOnSignals } from '@aegis/observability';
import { createAppLogger, prepareEntryPoint, startWorkerRuntime } from '@aegis/worker';
import { Command, InvalidArgumentError } from 'commander';
import { buildApp } from './app.ts';

function port(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new InvalidArgumentError('a port from 0 to 65535');
  return value;
}

const program = new Command('aegis-api')
  .description(
    'Serves the HTTP API, the web UI, Bull Board and /metrics until SIGTERM or SIGINT, then finishes in-flight requests. Configuration comes from the environment and ./.env (see .env.example).',
  )
  .option('--host <host>', 'listen on this address instead of API_HOST (default 127.0.0.1)')
  .option('--port <port>', 'listen on this port instead of API_PORT (default 8080)', port);

const { options, config } = prepareEntryPoint<{ host?: string; port?: number; envFile?: string }>(
  program,
  process.argv,
);
const logger = createAppLogger(config, { name: 'aegis-api' });

try {
  // A producer-only runtime: the API registers and enqueues; separate worker processes run the stages.
  const runtime = await startWorkerRuntime({ config, logger, stages: [] });
  const app = await buildApp({ config, runtime, logger });
  await app.listen({ host: options.host ?? config.api.host, port: options.port ?? config.api.port });
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
