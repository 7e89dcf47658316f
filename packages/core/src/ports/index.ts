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
  VectorCollectionInfo,
  VectorFilter,
  VectorHit,
  VectorPoint,
  VectorSearchOptions,
  VectorStore,
} from './vector-store.ts';
