#!/usr/bin/env node
import { isAegisError, isStage, STAGES, type Stage } from '@aegis/core';
import { exitOnSignals } from '@aegis/observability';
import { Command, InvalidArgumentError } from 'commander';
import { prepareEntryPoint } from './entry-point.ts';
import { startWorkerRuntime } from './runtime.ts';
import { createAppLogger } from './secrets.ts';

function parseStages(raw: string): Stage[] {
  const stages = raw.split(',').map((stage) => stage.trim());
  const unknown = stages.filter((stage) => !isStage(stage));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`stages are ${STAGES.join(', ')}; got ${unknown.join(', ')}`);
  return stages.filter(isStage);
}

const program = new Command('aegis-worker')
  .description(
    'Runs the pipeline stages (BullMQ workers) until SIGTERM or SIGINT, then finishes its active jobs. Configuration comes from the environment and ./.env (see .env.example); /metrics is served on METRICS_PORT.',
  )
  .option(
    '--stages <list>',
    `comma-separated stages to run (default: WORKER_STAGES, all of ${STAGES.join(', ')})`,
    parseStages,
  );

const { options, config } = prepareEntryPoint<{ stages?: Stage[]; envFile?: string }>(program, process.argv);
const logger = createAppLogger(config, { name: 'aegis-worker' });

try {
  const runtime = await startWorkerRuntime({ config, logger, stages: options.stages, metricsServer: true });
  exitOnSignals({ logger, what: 'finishing active jobs', close: () => runtime.close() });
} catch (error) {
  logger.error({ code: isAegisError(error) ? error.code : 'INTERNAL', err: error }, 'worker failed to start');
  process.exit(1);
}
