export type {
  GraphChunk,
  GraphCounts,
  GraphEntity,
  GraphMention,
  GraphRelation,
  GraphStore,
} from './graph-store.ts';
export type { ChunkPayload, VectorFilter, VectorHit, VectorPoint, VectorStore } from './vector-store.ts';
