export { abortableSleep, cancelledError, throwIfAborted } from './abort.ts';
export type { AegisErrorOptions, ErrorCategory, ErrorCode } from './errors.ts';
export { AegisError, ERROR_CODES, isAegisError } from './errors.ts';
export { chunkPointId, documentIdFor, imageIdFor, stageJobId } from './ids/ids.ts';
export type { StageJob, StageJobPolicy } from './jobs/job-catalog.ts';
export { JOB_CATALOG, JOB_SIZE_LIMIT_BYTES, stageJobSchema } from './jobs/job-catalog.ts';
export type { Stage, StageStatus, VersionStatus } from './jobs/stages.ts';
export { isStage, nextStage, STAGES } from './jobs/stages.ts';
export type {
  ChunkPayload,
  GraphChunk,
  GraphCounts,
  GraphEntity,
  GraphMention,
  GraphRelation,
  GraphStore,
  VectorFilter,
  VectorHit,
  VectorPoint,
  VectorStore,
} from './ports/index.ts';
