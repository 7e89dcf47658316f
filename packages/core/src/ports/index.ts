export type {
  GraphChunk,
  GraphCounts,
  GraphEntity,
  GraphMention,
  GraphRelation,
  GraphStore,
} from './graph-store.ts';
export type {
  ChunkPayload,
  EmbeddingSpace,
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
} from './vector-store.ts';
