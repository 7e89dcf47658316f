/** A chunk as a graph node: (Chunk)-[:PART_OF]->(Document), (Chunk)-[:NEXT_CHUNK]->(Chunk). */
export interface GraphChunk {
  /** Same UUIDv5 as the chunk's vector point, so search hits join to graph nodes. */
  id: string;
  chunkIndex: number;
  pageStart: number;
  pageEnd: number;
  /** The first ~200 characters, for browsing the graph; the full text lives in Postgres and the vector store. */
  preview: string;
}

/**
 * An entity after resolution. `key` = normalised name + type (e.g. `mozilla|ORGANIZATION`); entities with
 * the same key are one node across all documents.
 */
export interface GraphEntity {
  key: string;
  name: string;
  type: string;
  description: string;
}

export interface GraphRelation {
  sourceKey: string;
  targetKey: string;
  /** Upper snake case, e.g. `WORKS_AT`. Stored as a property of a RELATED edge. */
  type: string;
  description: string;
  /** The chunk the relation was read from (provenance). */
  chunkId: string;
}

/** Provenance: (Chunk)-[:HAS_ENTITY]->(Entity). */
export interface GraphMention {
  chunkId: string;
  entityKey: string;
}

export interface GraphCounts {
  documents: number;
  chunks: number;
  entities: number;
  relations: number;
}

/**
 * The knowledge graph. Adapters: Postgres (lite) and Neo4j. Writes are idempotent (MERGE), batched, and
 * carry (document, version) so a version can be removed without leaving orphans: entities are deleted
 * when no chunk mentions them any more.
 */
export interface GraphStore {
  readonly kind: 'postgres' | 'neo4j';
  /** Constraints and indexes; idempotent, called at start. */
  ensureSchema(): Promise<void>;
  /** The Document node and its chunks with PART_OF and NEXT_CHUNK edges. */
  upsertChunks(
    document: { documentId: string; version: number; source: string },
    chunks: readonly GraphChunk[],
  ): Promise<void>;
  /** Entities (descriptions merged with existing ones), their mentions and relations, for one document version. */
  upsertEntities(
    document: { documentId: string; version: number },
    entities: readonly GraphEntity[],
    mentions: readonly GraphMention[],
    relations: readonly GraphRelation[],
  ): Promise<void>;
  /** Entities mentioned by the given chunks (for search results). */
  entitiesOfChunks(chunkIds: readonly string[]): Promise<Map<string, GraphEntity[]>>;
  deleteVersion(documentId: string, version: number): Promise<void>;
  /** Removes the document's versions older than `version`; newer ones (maybe active already) are kept. */
  deleteOlderVersions(documentId: string, version: number): Promise<void>;
  deleteDocument(documentId: string): Promise<void>;
  counts(filter?: { documentId?: string; version?: number }): Promise<GraphCounts>;
  close(): Promise<void>;
}
