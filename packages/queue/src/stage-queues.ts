import {
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
export function createStageQueues(options: { connection: Redis; prefix: string }): StageQueues {
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
      await get(stage).add(stage, job, { jobId: stageJobId(job.documentId, job.version, stage, job.run) });
    },
    async state(job, stage) {
      const found = await get(stage).getJob(stageJobId(job.documentId, job.version, stage, job.run));
      return found ? await found.getState() : 'missing';
    },
    async removeVersion(documentId, version, runs) {
      for (const stage of STAGES) {
        const id = stageJobId(documentId, version, stage, runs.get(stage) ?? 1);
        const found = await get(stage).getJob(id);
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
