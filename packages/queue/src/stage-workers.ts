import { JOB_CATALOG, type Stage, type StageJob } from '@aegis/core';
import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createStageProcessor, type StageProcessorDeps } from './stage-processor.ts';

export interface StageWorkersOptions {
  stages: readonly Stage[];
  connection: Redis;
  prefix: string;
  processor: StageProcessorDeps;
  /** Overrides the catalog's concurrency per stage. */
  concurrency?: Partial<Record<Stage, number>>;
  /**
   * The takeover bound, in ms: a killed worker's job is running again on another worker within it. Default 30000.
   * See {@link lockTimings} for how it maps onto BullMQ's lock and stalled-check settings.
   */
  lockDurationMs?: number;
  /** Stalls BullMQ tolerates per job before failing it (the reconciler then takes over). Default 2. */
  maxStalledCount?: number;
  /** Recorded on each job it processes (`processedBy`, shown in Bull Board), e.g. `host:pid`. */
  workerId?: string;
  /**
   * Masks a failed job's error text before BullMQ stores it in Redis as `failedReason` and stack (shown by Bull
   * Board): the runtime's secret masker. Default: stored as thrown.
   */
  maskError?: ((text: string) => string) | undefined;
}

/**
 * BullMQ's stalled-job checker runs every `stalledInterval`; a job is moved back to wait by the first check that
 * finds it marked (by the previous check) and its lock gone. A killed worker's lock lives at most `lockDuration`
 * after its last renewal, and the checker needs up to one more interval to see it: takeover within
 * `lockDuration + stalledInterval`. So the takeover bound T is split into a lock of 2T/3 (renewed every T/3)
 * and a check every T/3: a killed worker's job runs again within T.
 */
export function lockTimings(takeoverMs: number): {
  lockDuration: number;
  lockRenewTime: number;
  stalledInterval: number;
} {
  const lockDuration = Math.floor((takeoverMs * 2) / 3);
  const stalledInterval = Math.max(500, takeoverMs - lockDuration);
  return { lockDuration, lockRenewTime: Math.floor(lockDuration / 2), stalledInterval };
}

/** The processor, with the message and stack of whatever it throws masked (DelayedError passes untouched). */
function withMaskedFailures<A extends unknown[], R>(
  process: (...args: A) => Promise<R>,
  mask: ((text: string) => string) | undefined,
): (...args: A) => Promise<R> {
  if (mask === undefined) return process;
  return async (...args) => {
    try {
      return await process(...args);
    } catch (error) {
      if (error instanceof Error && !(error instanceof DelayedError)) {
        error.message = mask(error.message);
        if (error.stack !== undefined) error.stack = mask(error.stack);
      }
      throw error;
    }
  };
}

export interface StageWorkers {
  workers: Worker<StageJob>[];
  /** Stops taking jobs and waits for the active ones to finish (graceful shutdown). */
  close(): Promise<void>;
}

/** One BullMQ worker per stage; `--stages` lets a process run a subset (e.g. only extract on big machines). */
export function startStageWorkers(options: StageWorkersOptions): StageWorkers {
  const timings = lockTimings(options.lockDurationMs ?? 30_000);
  const workers = options.stages.map((stage) => {
    const processor = withMaskedFailures(createStageProcessor(options.processor, stage), options.maskError);
    const worker = new Worker<StageJob>(stage, processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency?.[stage] ?? JOB_CATALOG[stage].concurrency,
      ...timings,
      maxStalledCount: options.maxStalledCount ?? 2,
      ...(options.workerId === undefined ? {} : { name: options.workerId }),
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
