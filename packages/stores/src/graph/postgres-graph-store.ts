import type { GraphEntity, GraphStore } from '@aegis/core';
import { AegisError } from '@aegis/core';
import type pg from 'pg';
import { toStoreError } from '../vector/store-error.ts';
import { prepareGraphBatch } from './graph-batch.ts';
import { MAX_DESCRIPTION_LENGTH } from './merge-descriptions.ts';

export interface PostgresGraphStoreOptions {
  /** Owned by the caller: `close()` does not end it. Its search_path must reach the migrated tables. */
  pool: pg.Pool;
  /** Rows per multi-row statement. Default 500. */
  batchSize?: number | undefined;
}

const STORE = 'postgres graph store';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Orphan sweeps that met a concurrent writer's new mention (FK violation) are re-run this often. */
const SWEEP_ATTEMPTS = 3;

/** SQL for "the selected versions of $1": `$2` only that version, `$3` every version but that one. */
const VERSION_SELECTED =
  'document_id = $1 AND ($2::int IS NULL OR version = $2) AND ($3::int IS NULL OR version < $3)';

/**
 * The lite GraphStore: the Neo4j model in the graph_* tables (lite-graph-store migration). NEXT_CHUNK is
 * implied by chunk_index order; HAS_ENTITY is graph_mentions; RELATED is graph_relations. Entity
 * descriptions merge inside `ON CONFLICT DO UPDATE` (graph_merge_description), under the row lock.
 * Deleting versions cascades from graph_documents to chunks, mentions and relations, then removes the
 * entities that no chunk mentions any more.
 */
export function createPostgresGraphStore(options: PostgresGraphStoreOptions): GraphStore {
  const { pool } = options;
  const batchSize = options.batchSize ?? 500;

  async function transaction<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      // Checked-out clients have no error listener: a connection dying between statements must not kill the process.
      client.on('error', ignoreConnectionError);
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => {});
      throw toStoreError(error, STORE, operation);
    } finally {
      client?.removeListener('error', ignoreConnectionError);
      client?.release();
    }
  }

  async function deleteVersions(
    operation: string,
    documentId: string,
    version: number | null,
    beforeVersion: number | null,
  ): Promise<void> {
    const selection = [documentId, version, beforeVersion];
    const keys = await transaction(operation, async (client) => {
      const mentioned = await client.query<{ entity_key: string }>(
        `SELECT DISTINCT entity_key FROM graph_mentions WHERE ${VERSION_SELECTED}`,
        selection,
      );
      // Chunks, mentions and relations go with their document version (ON DELETE CASCADE).
      await client.query(`DELETE FROM graph_documents WHERE ${VERSION_SELECTED}`, selection);
      return mentioned.rows.map((row) => row.entity_key);
    });
    for (let start = 0; start < keys.length; start += batchSize) {
      await sweepOrphans(operation, keys.slice(start, start + batchSize));
    }
  }

  /** Deletes those of `keys` that no chunk mentions, with any relation still touching them. */
  async function sweepOrphans(operation: string, keys: string[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await transaction(operation, async (client) => {
          const orphans = await client.query<{ key: string }>(
            `SELECT key FROM graph_entities e
              WHERE key = ANY($1::text[])
                AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.entity_key = e.key)
              ORDER BY key
              FOR UPDATE`,
            [keys],
          );
          const orphanKeys = orphans.rows.map((row) => row.key);
          if (orphanKeys.length === 0) return;
          await client.query(
            'DELETE FROM graph_relations WHERE source_key = ANY($1::text[]) OR target_key = ANY($1::text[])',
            [orphanKeys],
          );
          await client.query('DELETE FROM graph_entities WHERE key = ANY($1::text[])', [orphanKeys]);
        });
        return;
      } catch (error) {
        // 23503: a concurrent upsertEntities mentioned one of them meanwhile; look again.
        const sqlState = error instanceof AegisError ? error.details.sqlState : undefined;
        if (sqlState !== '23503' || attempt >= SWEEP_ATTEMPTS) throw error;
      }
    }
  }

  return {
    kind: 'postgres',

    async ensureSchema() {
      // The tables come from the migrations (runMigrations at start); nothing to create at run time.
    },

    upsertChunks(document, chunks) {
      return transaction('upsertChunks', async (client) => {
        await client.query(
          `INSERT INTO graph_documents (document_id, version, source) VALUES ($1, $2, $3)
           ON CONFLICT (document_id, version) DO UPDATE SET source = EXCLUDED.source`,
          [document.documentId, document.version, document.source],
        );
        const unique = [...new Map(chunks.map((chunk) => [chunk.id, chunk])).values()];
        for (let start = 0; start < unique.length; start += batchSize) {
          const slice = unique.slice(start, start + batchSize);
          await client.query(
            `INSERT INTO graph_chunks (id, document_id, version, chunk_index, page_start, page_end, preview)
             SELECT id, $1, $2, chunk_index, page_start, page_end, preview
               FROM unnest($3::uuid[], $4::int[], $5::int[], $6::int[], $7::text[])
                 AS t(id, chunk_index, page_start, page_end, preview)
             ON CONFLICT (id) DO UPDATE SET
               document_id = EXCLUDED.document_id, version = EXCLUDED.version,
               chunk_index = EXCLUDED.chunk_index, page_start = EXCLUDED.page_start,
               page_end = EXCLUDED.page_end, preview = EXCLUDED.preview`,
            [
              document.documentId,
              document.version,
              slice.map((chunk) => chunk.id),
              slice.map((chunk) => chunk.chunkIndex),
              slice.map((chunk) => chunk.pageStart),
              slice.map((chunk) => chunk.pageEnd),
              slice.map((chunk) => chunk.preview),
            ],
          );
        }
      });
    },

    async upsertEntities(document, entities, mentions, relations) {
      const batch = prepareGraphBatch(entities, mentions, relations);
      const notUuid = [...batch.mentions, ...batch.relations].find((row) => !UUID.test(row.chunkId));
      if (notUuid !== undefined) throw unknownChunks(document, [notUuid.chunkId], 'mentions or relations');
      // Keys in a fixed order: concurrent writers then lock shared entity rows in the same order (no deadlock).
      const sorted = [...batch.entities].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const version = [document.documentId, document.version];
      return transaction('upsertEntities', async (client) => {
        for (let start = 0; start < sorted.length; start += batchSize) {
          const slice = sorted.slice(start, start + batchSize);
          await client.query(
            `INSERT INTO graph_entities (key, name, type, description)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
             ON CONFLICT (key) DO UPDATE SET
               description = graph_merge_description(graph_entities.description, EXCLUDED.description, $5)`,
            [
              slice.map((entity) => entity.key),
              slice.map((entity) => entity.name),
              slice.map((entity) => entity.type),
              slice.map((entity) => entity.description),
              MAX_DESCRIPTION_LENGTH,
            ],
          );
        }
        for (let start = 0; start < batch.mentions.length; start += batchSize) {
          const slice = batch.mentions.slice(start, start + batchSize);
          // Joining graph_chunks keeps only chunks of this document version; a shortfall is refused below.
          const result = await client.query(
            `INSERT INTO graph_mentions (chunk_id, entity_key, document_id, version)
             SELECT c.id, m.entity_key, c.document_id, c.version
               FROM unnest($3::uuid[], $4::text[]) AS m(chunk_id, entity_key)
               JOIN graph_chunks c ON c.id = m.chunk_id AND c.document_id = $1 AND c.version = $2
             ON CONFLICT (chunk_id, entity_key) DO UPDATE SET document_id = EXCLUDED.document_id
             RETURNING 1`,
            [...version, slice.map((mention) => mention.chunkId), slice.map((mention) => mention.entityKey)],
          );
          await assertAllChunksKnown(client, document, slice, result.rowCount ?? 0, 'mentions');
        }
        for (let start = 0; start < batch.relations.length; start += batchSize) {
          const slice = batch.relations.slice(start, start + batchSize);
          const result = await client.query(
            `INSERT INTO graph_relations (source_key, target_key, type, description, chunk_id, document_id, version)
             SELECT r.source_key, r.target_key, r.type, r.description, c.id, c.document_id, c.version
               FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[])
                 AS r(source_key, target_key, type, description, chunk_id)
               JOIN graph_chunks c ON c.id = r.chunk_id AND c.document_id = $1 AND c.version = $2
             ON CONFLICT (source_key, target_key, type, chunk_id) DO UPDATE SET description = EXCLUDED.description
             RETURNING 1`,
            [
              ...version,
              slice.map((relation) => relation.sourceKey),
              slice.map((relation) => relation.targetKey),
              slice.map((relation) => relation.type),
              slice.map((relation) => relation.description),
              slice.map((relation) => relation.chunkId),
            ],
          );
          await assertAllChunksKnown(client, document, slice, result.rowCount ?? 0, 'relations');
        }
      });
    },

    async entitiesOfChunks(chunkIds) {
      const entities = new Map<string, GraphEntity[]>(chunkIds.map((id) => [id, []]));
      // Neo4j simply finds nothing for an id that is not a UUID; the uuid cast here would fail instead.
      const valid = [...new Set(chunkIds.filter((id) => UUID.test(id)))];
      if (valid.length === 0) return entities;
      const result = await transaction('entitiesOfChunks', (client) =>
        client.query<{ chunk_id: string; key: string; name: string; type: string; description: string }>(
          `SELECT m.chunk_id, e.key, e.name, e.type, e.description
             FROM graph_mentions m JOIN graph_entities e ON e.key = m.entity_key
            WHERE m.chunk_id = ANY($1::uuid[])
            ORDER BY m.chunk_id, e.key COLLATE "C"`,
          [valid],
        ),
      );
      const byLowerId = new Map(chunkIds.map((id) => [id.toLowerCase(), id]));
      for (const row of result.rows) {
        const requested = byLowerId.get(row.chunk_id) ?? row.chunk_id;
        entities
          .get(requested)
          ?.push({ key: row.key, name: row.name, type: row.type, description: row.description });
      }
      return entities;
    },

    deleteVersion(documentId, version) {
      return deleteVersions('deleteVersion', documentId, version, null);
    },

    deleteOlderVersions(documentId, version) {
      return deleteVersions('deleteOlderVersions', documentId, null, version);
    },

    deleteDocument(documentId) {
      return deleteVersions('deleteDocument', documentId, null, null);
    },

    counts(filter) {
      return transaction('counts', async (client) => {
        const documentId = filter?.documentId ?? null;
        const version = filter?.version ?? null;
        const filtered = documentId !== null || version !== null;
        const where = '($1::text IS NULL OR document_id = $1) AND ($2::int IS NULL OR version = $2)';
        // Unfiltered, every entity row counts, so an orphan shows up in the totals.
        const entities = filtered
          ? `SELECT count(DISTINCT entity_key) FROM graph_mentions WHERE ${where}`
          : 'SELECT count(*) FROM graph_entities';
        const result = await client.query<Record<'documents' | 'chunks' | 'entities' | 'relations', string>>(
          `SELECT (SELECT count(DISTINCT document_id) FROM graph_documents WHERE ${where}) AS documents,
                  (SELECT count(*) FROM graph_chunks WHERE ${where}) AS chunks,
                  (${entities}) AS entities,
                  (SELECT count(*) FROM graph_relations WHERE ${where}) AS relations`,
          [documentId, version],
        );
        const row = result.rows[0];
        return {
          documents: Number(row?.documents ?? 0),
          chunks: Number(row?.chunks ?? 0),
          entities: Number(row?.entities ?? 0),
          relations: Number(row?.relations ?? 0),
        };
      });
    },

    async close() {
      // The pool belongs to the caller (it is shared with the registry and the ledger).
    },
  };
}

/**
 * A mention or relation whose chunk is not a chunk of this document version was dropped by the join;
 * refusing the call (rolling it back) keeps Postgres and Neo4j alike and never leaves an unmentioned entity.
 */
async function assertAllChunksKnown(
  client: pg.PoolClient,
  document: { documentId: string; version: number },
  rows: readonly { chunkId: string }[],
  written: number,
  what: string,
): Promise<void> {
  if (written === rows.length) return;
  const ids = [...new Set(rows.map((row) => row.chunkId.toLowerCase()))];
  const known = await client.query<{ id: string }>(
    'SELECT id::text AS id FROM graph_chunks WHERE id = ANY($1::uuid[]) AND document_id = $2 AND version = $3',
    [ids, document.documentId, document.version],
  );
  const knownIds = new Set(known.rows.map((row) => row.id));
  throw unknownChunks(
    document,
    ids.filter((id) => !knownIds.has(id)),
    what,
  );
}

function unknownChunks(
  document: { documentId: string; version: number },
  missing: string[],
  what: string,
): AegisError {
  return new AegisError(
    'VALIDATION_FAILED',
    `graph write refused: ${what} name chunks that are not chunks of ${document.documentId} ` +
      `v${document.version}; upsert the chunks first`,
    {
      details: { documentId: document.documentId, version: document.version, missing: missing.slice(0, 10) },
    },
  );
}

function ignoreConnectionError(): void {}
