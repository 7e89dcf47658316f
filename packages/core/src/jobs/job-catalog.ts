import { z } from 'zod';
import { STAGES, type Stage } from './stages.ts';

/** Every stage job carries ids only; artifacts live in Postgres and the blob store (DESIGN.md). */
export const stageJobSchema = z.object({
  documentId: z.string().min(1).max(64),
  version: z.number().int().min(1),
  /** The stage run this job belongs to; a job of an older run (superseded by a retry) does nothing. */
  run: z.number().int().min(1),
});
export type StageJob = z.infer<typeof stageJobSchema>;

export interface StageJobPolicy {
  /** BullMQ attempts (the first try included). */
  attempts: number;
  /** First backoff in ms; doubles per attempt, with jitter. */
  backoffMs: number;
  /** Jobs of this stage one worker runs at once (CPU-bound stages: 1). */
  concurrency: number;
}

/** Retry and concurrency per job name. Every stage has at least 3 attempts with exponential backoff and jitter. */
export const JOB_CATALOG: Readonly<Record<Stage, StageJobPolicy>> = {
  'memory-check': { attempts: 3, backoffMs: 1_000, concurrency: 4 },
  extract: { attempts: 3, backoffMs: 2_000, concurrency: 1 },
  'enrich-images': { attempts: 3, backoffMs: 5_000, concurrency: 2 },
  chunk: { attempts: 3, backoffMs: 1_000, concurrency: 2 },
  embed: { attempts: 5, backoffMs: 5_000, concurrency: 2 },
  graph: { attempts: 5, backoffMs: 5_000, concurrency: 2 },
};

/** Largest serialized job payload, in bytes: payloads carry ids only. */
export const JOB_SIZE_LIMIT_BYTES = 1_024;

export { STAGES };
