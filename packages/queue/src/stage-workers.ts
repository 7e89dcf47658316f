import { JOB_CATALOG, type Stage, type StageJob } from '@aegis/core';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createStageProcessor, type StageProcessorDeps } from './stage-processor.ts';

export interface StageWorkersOptions {
  stages: readonly Stage[];
  connection: Redis;
  prefix: string;
  processor: StageProcessorDeps;
  /** Overrides the catalog's concurrency per stage. */
  concurrency?: Partial<Record<Stage, number>>;
  /** How long a job's lock lives without renewal, in ms; a killed worker's job is taken over after it. Default 30000. */
  lockDurationMs?: number;
}

export interface StageWorkers {
  workers: Worker<StageJob>[];
  /** Stops taking jobs and waits for the active ones to finish (graceful shutdown). */
  close(): Promise<void>;
}

/** One BullMQ worker per stage; `--stages` lets a process run a subset (e.g. only extract on big machines). */
export function startStageWorkers(options: StageWorkersOptions): StageWorkers {
  const lockDuration = options.lockDurationMs ?? 30_000;
  const workers = options.stages.map((stage) => {
    const worker = new Worker<StageJob>(stage, createStageProcessor(options.processor, stage), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency?.[stage] ?? JOB_CATALOG[stage].concurrency,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
      maxStalledCount: 2,
    });
    worker.on('error', (error) => {
      // After a Redis flush or restart BullMQ cannot finish jobs whose keys vanished; Postgres still knows them
      // and the reconciler re-enqueues them, so this is expected, not an error of ours.
      if (/Missing key for job/.test(error.message)) {
        options.processor.pipeline.logger.info(
          { stage, reason: error.message },
          'job vanished from Redis; the reconciler re-enqueues it',
        );
        return;
      }
      options.processor.pipeline.logger.warn({ stage, err: error }, 'worker error');
    });
    return worker;
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
