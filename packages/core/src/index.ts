export { abortableSleep, cancelledError, throwIfAborted } from './abort.ts';
export type { CompletionEventData, CompletionEventType } from './completion-events.ts';
export { COMPLETION_EVENT_TYPES } from './completion-events.ts';
export {
  collectionNameFor,
  DEFAULT_KNOWLEDGE_BASE,
  embeddingSpaceKey,
  KNOWLEDGE_BASE_NAME,
  qualifiedModel,
  sameSpace,
  splitQualifiedModel,
} from './embedding-space.ts';
export type { AegisErrorOptions, ErrorCategory, ErrorCode } from './errors.ts';
export { AegisError, ERROR_CODES, isAegisError } from './errors.ts';
export { chunkPointId, documentIdFor, imageIdFor, stageJobId } from './ids/ids.ts';
export type { StageJob, StageJobPolicy } from './jobs/job-catalog.ts';
export { JOB_CATALOG, JOB_SIZE_LIMIT_BYTES, stageJobSchema } from './jobs/job-catalog.ts';
export type { Stage, StageStatus, VersionStatus } from './jobs/stages.ts';
export {
  FINAL_VERSION_STATUSES,
  isCompletedStatus,
  isStage,
  nextStage,
  STAGES,
  VERSION_STATUSES,
} from './jobs/stages.ts';
export { METADATA_LIMITS, parseMetadata, validateMetadata } from './metadata.ts';
export type { Dependency } from './outage.ts';
export { outageOf } from './outage.ts';
export type {
  ChunkPayload,
  EmbeddingSpace,
  GraphChunk,
  GraphCounts,
  GraphEntity,
  GraphMention,
  GraphRelation,
  GraphStore,
  KeywordHit,
  MetadataScalar,
  MetadataValue,
  VectorCollectionInfo,
  VectorEngineInfo,
  VectorFilter,
  VectorHit,
  VectorPoint,
  VectorSearchOptions,
  VectorStore,
} from './ports/index.ts';
export { childPids, descendantPids } from './process-tree.ts';
