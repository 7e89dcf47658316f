import {
  AegisError,
  JOB_CATALOG,
  JOB_SIZE_LIMIT_BYTES,
  STAGES,
  type Stage,
  type StageJob,
  stageJobId,
} from '@aegis/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface StageQueues {
  readonly prefix: string;
  queue(stage: Stage): Queue<StageJob>;
  /** Adds the stage job with its deterministic id; adding an id that exists is a no-op (BullMQ). */
  enqueue(job: StageJob, stage: Stage): Promise<void>;
  /** The job's state in Redis, or `missing` (never added, removed, or lost with a FLUSHALL). */
  state(job: StageJob, stage: Stage): Promise<string>;
  /** The job's state and, when BullMQ failed it, why (`failedReason`). */
  inspect(job: StageJob, stage: Stage): Promise<{ state: string; failedReason?: string | undefined }>;
  /** Puts a finished (failed or completed) job back into work under the same id: removed, then added anew. */
  requeue(job: StageJob, stage: Stage): Promise<void>;
  /** Removes waiting/delayed jobs of a version (cancel, delete). Active jobs stop at their next cancellation check. */
  removeVersion(documentId: string, version: number, runs: ReadonlyMap<Stage, number>): Promise<void>;
  close(): Promise<void>;
}

/** Completed jobs are kept a day (at most 1,000), failed ones a week (at most 5,000): bounded retention. */
const RETENTION = {
  removeOnComplete: { age: 86_400, count: 1_000 },
  removeOnFail: { age: 7 * 86_400, count: 5_000 },
};

/** One BullMQ queue per stage under a hash-tagged prefix, so every key of a queue lives in one Redis Cluster slot. */
export function createStageQueues(options: {
  connection: Redis;
  prefix: string;
  /**
   * Producers (API, CLI) give up on a queue operation after this many ms with QUEUE_UNAVAILABLE: BullMQ waits for
   * a Redis that is down instead of failing. Workers leave it unset (they wait Redis out). Default: none.
   */
  commandTimeoutMs?: number | undefined;
}): StageQueues {
  const limit = <T>(operation: Promise<T>): Promise<T> => {
    const timeoutMs = options.commandTimeoutMs;
    if (timeoutMs === undefined) return operation;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AegisError(
              'QUEUE_UNAVAILABLE',
              `Redis did not answer a queue operation within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    operation.catch(() => {});
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  };
  const queues = new Map<Stage, Queue<StageJob>>(
    STAGES.map((stage) => [
      stage,
      new Queue<StageJob>(stage, {
        connection: options.connection,
        prefix: options.prefix,
        defaultJobOptions: {
          attempts: JOB_CATALOG[stage].attempts,
          backoff: { type: 'exponential', delay: JOB_CATALOG[stage].backoffMs, jitter: 0.5 },
          sizeLimit: JOB_SIZE_LIMIT_BYTES,
          ...RETENTION,
        },
      }),
    ]),
  );
  const get = (stage: Stage): Queue<StageJob> => queues.get(stage) as Queue<StageJob>;
  return {
    prefix: options.prefix,
    queue: get,
    async enqueue(job, stage) {
      await limit(
        get(stage).add(stage, job, { jobId: stageJobId(job.documentId, job.version, stage, job.run) }),
      );
    },
    async state(job, stage) {
      const found = await limit(get(stage).getJob(stageJobId(job.documentId, job.version, stage, job.run)));
      return found ? await limit(found.getState()) : 'missing';
    },
    async inspect(job, stage) {
      const found = await get(stage).getJob(stageJobId(job.documentId, job.version, stage, job.run));
      if (!found) return { state: 'missing' };
      return { state: await found.getState(), failedReason: found.failedReason || undefined };
    },
    async requeue(job, stage) {
      const id = stageJobId(job.documentId, job.version, stage, job.run);
      const found = await get(stage).getJob(id);
      if (found) await found.remove();
      await get(stage).add(stage, job, { jobId: id });
    },
    async removeVersion(documentId, version, runs) {
      for (const stage of STAGES) {
        const id = stageJobId(documentId, version, stage, runs.get(stage) ?? 1);
        const found = await limit(get(stage).getJob(id));
        const state = found ? await found.getState() : 'missing';
        if (found && (state === 'waiting' || state === 'delayed' || state === 'prioritized'))
          await found.remove().catch(() => {});
      }
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
