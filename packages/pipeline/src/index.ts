export * from './chunk/index.ts';
export * from './extract/index.ts';
export * from './images/index.ts';
export type { BlobStore } from './ports/blob-store.ts';
export type {
  DocumentRepository,
  EmbedBatchRecord,
  EmbeddingBinding,
  GraphExtractionRecord,
  KnowledgeBaseRecord,
  RegisterRequest,
  Registration,
  StageRunRecord,
  StageWriteDetail,
  StoredChunk,
  StoredImage,
  StoredPage,
  VersionPlan,
  VersionRecord,
} from './ports/document-repository.ts';
export * from './sandbox/index.ts';
export { metadataFilterOf, metadataValues } from './search/metadata-query.ts';
export type { FusedItem, RankedList } from './search/rank-fusion.ts';
export { reciprocalRankFusion } from './search/rank-fusion.ts';
export { forEachLimited, stopIfCancelled } from './stages/cancellation.ts';
export { runChunk } from './stages/chunk.ts';
export { runEmbed } from './stages/embed.ts';
export { runEnrichImages } from './stages/enrich-images.ts';
export { runExtract } from './stages/extract.ts';
export { runGraph } from './stages/graph.ts';
export type { GraphExtraction, ResolvedGraph } from './stages/graph-extraction.ts';
export {
  entityKey,
  GRAPH_PROMPT_VERSION,
  GRAPH_SYSTEM_PROMPT,
  graphExtractionSchema,
  normaliseName,
  normaliseType,
  resolveGraph,
} from './stages/graph-extraction.ts';
export { cleanupCancelled, finalizeVersion, STAGE_RUNNERS } from './stages/lifecycle.ts';
export type { MemoryDecision } from './stages/memory-check.ts';
export {
  estimateDocumentBytes,
  estimateRangeBytes,
  planRanges,
  runMemoryCheck,
} from './stages/memory-check.ts';
export type {
  ScoreParts,
  SearchFilter,
  SearchHit,
  SearchMode,
  SearchRequest,
  SearchResult,
} from './stages/search.ts';
export { activeNearest, SEARCH_MODES, searchDocuments } from './stages/search.ts';
export type { PipelineDeps, PipelineOptions, StageRun, WorkerCapacity } from './stages/stage-context.ts';
