#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, secretKeyNames } from '@aegis/config';
import { isAegisError, isStage } from '@aegis/core';
import { createLogger, exitOnSignals } from '@aegis/observability';
import { startWorkerRuntime } from './runtime.ts';

const { values } = parseArgs({ options: { stages: { type: 'string' } } });
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, name: 'aegis-worker', secretKeys: secretKeyNames() });
const stages = values.stages?.split(',').map((stage) => stage.trim());
const unknown = stages?.filter((stage) => !isStage(stage)) ?? [];
if (unknown.length > 0) {
  logger.error(
    { unknown },
    `--stages takes stage names (memory-check, extract, enrich-images, chunk, embed, graph)`,
  );
  process.exit(2);
}

try {
  const runtime = await startWorkerRuntime({
    config,
    logger,
    stages: stages?.filter(isStage),
    metricsServer: true,
  });
  exitOnSignals({ logger, what: 'finishing active jobs', close: () => runtime.close() });
} catch (error) {
  logger.error({ code: isAegisError(error) ? error.code : 'INTERNAL', err: error }, 'worker failed to start');
  process.exit(1);
}
