import type { GraphEntity, GraphStore } from '@aegis/core';
import { AegisError, isAegisError } from '@aegis/core';
import type { Driver, ManagedTransaction } from 'neo4j-driver';
import { partitionGraphBatch, prepareGraphBatch } from './graph-batch.ts';
import { MAX_DESCRIPTION_LENGTH } from './merge-descriptions.ts';
import {
  COUNT_ALL_ENTITIES,
  COUNT_CHUNKS,
  COUNT_DOCUMENTS,
  COUNT_MENTIONED_ENTITIES,
  COUNT_RELATIONS,
  DELETE_CHUNKS_BATCH,
  DELETE_ORPHAN_ENTITIES,
  DELETE_RELATIONS_BATCH,
  ENTITIES_OF_CHUNKS,
  LINK_NEXT_CHUNKS,
  LINK_PREVIOUS_CHUNKS,
  MENTIONED_ENTITY_KEYS,
  MERGE_CHUNKS,
  MERGE_DOCUMENT,
  MERGE_ENTITIES,
  MERGE_MENTIONS,
  MERGE_RELATIONS,
  PRUNE_DOCUMENT,
  SCHEMA_STATEMENTS,
} from './neo4j-cypher.ts';

/** The part of the neo4j driver the store uses; tests may pass their own. */
export type Neo4jDriverLike = Pick<Driver, 'session' | 'close'>;

export interface Neo4jGraphStoreOptions {
  /** `neo4j://`, `neo4j+s://`, `bolt://` or `bolt+s://`. Ignored when `driver` is given. */
  uri: string;
  user: string;
  password: string;
  /** Database name. Default `neo4j`. */
  database?: string | undefined;
  /** Rows per UNWIND statement, per entity-write transaction (split at chunk boundaries), and nodes/edges per delete transaction. Default 500. */
  batchSize?: number | undefined;
  /** Replaces the driver built from uri/user/password; `close()` still closes it. */
  driver?: Neo4jDriverLike | undefined;
}

const STORE = 'neo4j graph store';

/** Which versions of a document a delete touches: `$version` only, those older than `$beforeVersion`, or all. */
interface VersionSelection {
  documentId: string;
  version: number | null;
  beforeVersion: number | null;
}

/**
 * GraphStore on Neo4j: (Chunk)-[:PART_OF]->(Document), (Chunk)-[:NEXT_CHUNK]->(Chunk),
 * (Chunk)-[:HAS_ENTITY]->(Entity), (Entity)-[:RELATED {type, description, documentId, version, chunkId}]->(Entity).
 * Writes are `UNWIND $rows ... MERGE` batches inside `session.executeWrite` (retried by the driver on
 * transient errors, so every statement is idempotent). Statements live in neo4j-cypher.ts.
 * Integers are sent as Neo4j integers (JavaScript numbers would be stored as floats, and LIMIT refuses them).
 * Async because the driver is imported only when such a store is created: a process on the Postgres graph store
 * never loads it (about 26 MiB resident).
 */
export async function createNeo4jGraphStore(options: Neo4jGraphStoreOptions): Promise<GraphStore> {
  const { default: neo4j } = await import('neo4j-driver');
  const database = options.database ?? 'neo4j';
  const batchSize = options.batchSize ?? 500;
  const driver: Neo4jDriverLike =
    options.driver ??
    neo4j.driver(options.uri, neo4j.auth.basic(options.user, options.password), {
      // Counts and versions come back as plain numbers; ours stay far below 2^53.
      disableLosslessIntegers: true,
    });

  async function write<T>(operation: string, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(work);
    } catch (error) {
      throw toNeo4jError(error, operation);
    } finally {
      await session.close();
    }
  }

  async function read<T>(operation: string, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead(work);
    } catch (error) {
      throw toNeo4jError(error, operation);
    } finally {
      await session.close();
    }
  }

  async function deleteVersions(operation: string, selection: VersionSelection): Promise<void> {
    const parameters = {
      documentId: selection.documentId,
      version: selection.version === null ? null : neo4j.int(selection.version),
      beforeVersion: selection.beforeVersion === null ? null : neo4j.int(selection.beforeVersion),
      batchSize: neo4j.int(batchSize),
    };
    const keys = await read(operation, async (tx) => {
      const result = await tx.run(MENTIONED_ENTITY_KEYS, parameters);
      return result.records.map((record) => String(record.get('key')));
    });
    // Bounded transactions: a 1,600-page document has tens of thousands of chunks and edges.
    for (const statement of [DELETE_RELATIONS_BATCH, DELETE_CHUNKS_BATCH]) {
      for (;;) {
        const deleted = await write(operation, async (tx) => {
          const result = await tx.run(statement, parameters);
          return Number(result.records[0]?.get('deleted') ?? 0);
        });
        if (deleted < batchSize) break;
      }
    }
    await write(operation, (tx) => tx.run(PRUNE_DOCUMENT, parameters));
    for (let start = 0; start < keys.length; start += batchSize) {
      const slice = keys.slice(start, start + batchSize);
      await write(operation, (tx) => tx.run(DELETE_ORPHAN_ENTITIES, { keys: slice }));
    }
  }

  return {
    kind: 'neo4j',

    async ensureSchema() {
      // Schema commands cannot share a transaction with each other or with data writes.
      for (const statement of SCHEMA_STATEMENTS) await write('ensureSchema', (tx) => tx.run(statement));
    },

    async upsertChunks(document, chunks) {
      const unique = [...new Map(chunks.map((chunk) => [chunk.id, chunk])).values()];
      const base = { documentId: document.documentId, version: neo4j.int(document.version) };
      await write('upsertChunks', (tx) => tx.run(MERGE_DOCUMENT, { ...base, source: document.source }));
      for (let start = 0; start < unique.length; start += batchSize) {
        const rows = unique.slice(start, start + batchSize).map((chunk) => ({
          id: chunk.id,
          chunkIndex: neo4j.int(chunk.chunkIndex),
          pageStart: neo4j.int(chunk.pageStart),
          pageEnd: neo4j.int(chunk.pageEnd),
          preview: chunk.preview,
        }));
        await write('upsertChunks', async (tx) => {
          await tx.run(MERGE_CHUNKS, { ...base, rows });
          await tx.run(LINK_PREVIOUS_CHUNKS, { ...base, rows });
          await tx.run(LINK_NEXT_CHUNKS, { ...base, rows });
        });
      }
    },

    async upsertEntities(document, entities, mentions, relations) {
      const batch = prepareGraphBatch(entities, mentions, relations);
      const base = { documentId: document.documentId, version: neo4j.int(document.version) };
      const maxLength = neo4j.int(MAX_DESCRIPTION_LENGTH);
      // Bounded transactions along chunk boundaries (a whole book in one transaction holds its locks and
      // memory for minutes). Each part carries its entities with their mentions, so an entity is never
      // visible without a mention and a concurrent delete's orphan sweep cannot take it in between.
      for (const part of partitionGraphBatch(batch, batchSize)) {
        // Keys in a fixed order: concurrent writers then lock shared entities in the same order (no deadlock).
        const sortedEntities = [...part.entities].sort((a, b) =>
          a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
        );
        await write('upsertEntities', async (tx) => {
          for (let start = 0; start < sortedEntities.length; start += batchSize) {
            await tx.run(MERGE_ENTITIES, { rows: sortedEntities.slice(start, start + batchSize), maxLength });
          }
          for (const [statement, rows] of [
            [MERGE_MENTIONS, part.mentions],
            [MERGE_RELATIONS, part.relations],
          ] as const) {
            for (let start = 0; start < rows.length; start += batchSize) {
              const slice = rows.slice(start, start + batchSize);
              const result = await tx.run(statement, { ...base, rows: slice });
              const written = Number(result.records[0]?.get('written') ?? 0);
              // Throwing inside executeWrite rolls the part back; a chunk never written is a caller bug.
              if (written < slice.length) throw missingChunks(document, slice.length - written);
            }
          }
        });
      }
    },

    async entitiesOfChunks(chunkIds) {
      const entities = new Map<string, GraphEntity[]>(chunkIds.map((id) => [id, []]));
      if (chunkIds.length === 0) return entities;
      const records = await read('entitiesOfChunks', async (tx) => {
        const result = await tx.run(ENTITIES_OF_CHUNKS, { chunkIds: [...new Set(chunkIds)] });
        return result.records;
      });
      for (const record of records) {
        entities.get(String(record.get('chunkId')))?.push({
          key: String(record.get('key')),
          name: String(record.get('name')),
          type: String(record.get('type')),
          description: String(record.get('description') ?? ''),
        });
      }
      return entities;
    },

    deleteVersion(documentId, version) {
      return deleteVersions('deleteVersion', { documentId, version, beforeVersion: null });
    },

    deleteOlderVersions(documentId, olderThan) {
      return deleteVersions('deleteOlderVersions', { documentId, version: null, beforeVersion: olderThan });
    },

    deleteDocument(documentId) {
      return deleteVersions('deleteDocument', { documentId, version: null, beforeVersion: null });
    },

    counts(filter) {
      return read('counts', async (tx) => {
        const parameters = {
          documentId: filter?.documentId ?? null,
          version: filter?.version === undefined ? null : neo4j.int(filter.version),
        };
        const filtered = parameters.documentId !== null || parameters.version !== null;
        const count = async (statement: string): Promise<number> => {
          const result = await tx.run(statement, parameters);
          return Number(result.records[0]?.get('count') ?? 0);
        };
        return {
          documents: await count(COUNT_DOCUMENTS),
          chunks: await count(COUNT_CHUNKS),
          entities: await count(filtered ? COUNT_MENTIONED_ENTITIES : COUNT_ALL_ENTITIES),
          relations: await count(COUNT_RELATIONS),
        };
      });
    },

    async close() {
      await driver.close();
    },
  };
}

function missingChunks(document: { documentId: string; version: number }, missing: number): AegisError {
  return new AegisError(
    'VALIDATION_FAILED',
    `graph write refused: ${missing} mention(s)/relation(s) name chunks that are not chunks of ` +
      `${document.documentId} v${document.version}; upsert the chunks first`,
    { details: { documentId: document.documentId, version: document.version, missing } },
  );
}

/**
 * Neo4j's `Neo.ClientError.Statement.*` / `.Schema.*` codes mean the request itself is wrong (permanent);
 * everything else (ServiceUnavailable, SessionExpired, transient and database errors, authentication)
 * leaves the store unusable for now and is retried by the worker.
 */
function toNeo4jError(error: unknown, operation: string): AegisError {
  if (isAegisError(error)) return error;
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const permanent =
    code !== undefined &&
    (code.startsWith('Neo.ClientError.Statement.') || code.startsWith('Neo.ClientError.Schema.'));
  return new AegisError(
    permanent ? 'VALIDATION_FAILED' : 'STORE_UNAVAILABLE',
    `${STORE} ${operation} failed: ${message}`,
    {
      cause: error,
      details: { store: STORE, operation, ...(code === undefined ? {} : { neo4jCode: code }) },
    },
  );
}
