/**
 * Every Cypher statement the Neo4j graph store sends, in one module so a test can parse them all
 * (test/contracts/cypher-lint.test.ts). Cypher 5 syntax, Neo4j 5.x. Parameters are named `$x`; rows
 * are sent as lists of maps and expanded with UNWIND so a batch is one round trip.
 *
 * Version selection in deletes and counts uses two nullable parameters instead of three statement
 * variants: `$version` (only that version) and `$beforeVersion` (every version older than that one).
 */

import { DESCRIPTION_SEPARATOR } from './merge-descriptions.ts';

/** `true` for the rows of the selected versions; `v` is the version expression (e.g. `c.version`). */
function versionSelected(v: string): string {
  return `($version IS NULL OR ${v} = $version) AND ($beforeVersion IS NULL OR ${v} < $beforeVersion)`;
}

/** Uniqueness constraints (each also creates the index MERGE needs) and lookup indexes; all idempotent. */
export const SCHEMA_STATEMENTS = [
  'CREATE CONSTRAINT aegis_entity_key IF NOT EXISTS FOR (e:Entity) REQUIRE e.key IS UNIQUE',
  'CREATE CONSTRAINT aegis_chunk_id IF NOT EXISTS FOR (c:Chunk) REQUIRE c.id IS UNIQUE',
  'CREATE CONSTRAINT aegis_document_id IF NOT EXISTS FOR (d:Document) REQUIRE d.id IS UNIQUE',
  // Deletes and counts select a document's chunks; NEXT_CHUNK linking looks up a neighbour by index.
  'CREATE INDEX aegis_chunk_document IF NOT EXISTS FOR (c:Chunk) ON (c.documentId)',
  'CREATE INDEX aegis_chunk_position IF NOT EXISTS FOR (c:Chunk) ON (c.documentId, c.version, c.chunkIndex)',
  'CREATE INDEX aegis_related_document IF NOT EXISTS FOR ()-[r:RELATED]-() ON (r.documentId)',
] as const;

/**
 * The Document node is one per document id; `versions` lists the versions that have chunks written, so a
 * replace (new version written, then the old deleted) never drops the node in between.
 */
export const MERGE_DOCUMENT = `
MERGE (d:Document {id: $documentId})
SET d.source = $source,
    d.versions = CASE WHEN $version IN coalesce(d.versions, []) THEN d.versions
                      ELSE coalesce(d.versions, []) + $version END`;

/** rows: {id, chunkIndex, pageStart, pageEnd, preview}. */
export const MERGE_CHUNKS = `
MATCH (d:Document {id: $documentId})
UNWIND $rows AS row
MERGE (c:Chunk {id: row.id})
SET c.documentId = $documentId, c.version = $version, c.chunkIndex = row.chunkIndex,
    c.pageStart = row.pageStart, c.pageEnd = row.pageEnd, c.preview = row.preview
MERGE (c)-[:PART_OF]->(d)`;

/**
 * NEXT_CHUNK to the previous and from the next chunk of the same version. Both directions, so chunks
 * written in several batches, in any order, end up as one chain.
 */
export const LINK_PREVIOUS_CHUNKS = `
UNWIND $rows AS row
MATCH (c:Chunk {id: row.id})
MATCH (previous:Chunk {documentId: $documentId, version: $version, chunkIndex: row.chunkIndex - 1})
MERGE (previous)-[:NEXT_CHUNK]->(c)`;

export const LINK_NEXT_CHUNKS = `
UNWIND $rows AS row
MATCH (c:Chunk {id: row.id})
MATCH (next:Chunk {documentId: $documentId, version: $version, chunkIndex: row.chunkIndex + 1})
MERGE (c)-[:NEXT_CHUNK]->(next)`;

/**
 * rows: {key, name, type, description}. On an existing entity the descriptions are merged in Cypher
 * (inside the write, so concurrent writers do not read stale text): distinct trimmed parts, first
 * occurrence first, added while the result fits `$maxLength`, a first part too long is cut. The same
 * rule as mergeDescriptions() and the SQL graph_merge_description(). Name and type keep the first writer's.
 */
export const MERGE_ENTITIES = `
UNWIND $rows AS row
MERGE (e:Entity {key: row.key})
ON CREATE SET e.name = row.name, e.type = row.type, e.description = row.description
ON MATCH SET e.description = reduce(merged = '', part IN
    reduce(parts = [], p IN split(coalesce(e.description, '') + '${DESCRIPTION_SEPARATOR}' + row.description, '${DESCRIPTION_SEPARATOR}') |
      CASE WHEN trim(p) = '' OR trim(p) IN parts THEN parts ELSE parts + trim(p) END) |
    CASE WHEN merged = '' THEN left(part, $maxLength)
         WHEN size(merged) + ${DESCRIPTION_SEPARATOR.length} + size(part) <= $maxLength THEN merged + '${DESCRIPTION_SEPARATOR}' + part
         ELSE merged END)`;

/**
 * rows: {chunkId, entityKey}. Only chunks of the given document version match; `written` lets the store
 * refuse (and roll back) a batch naming chunks that were never written, instead of silently dropping it.
 */
export const MERGE_MENTIONS = `
UNWIND $rows AS row
MATCH (c:Chunk {id: row.chunkId})
WHERE c.documentId = $documentId AND c.version = $version
MATCH (e:Entity {key: row.entityKey})
MERGE (c)-[:HAS_ENTITY]->(e)
RETURN count(*) AS written`;

/** rows: {sourceKey, targetKey, type, description, chunkId}. MERGE on (type, chunkId) keeps re-runs idempotent. */
export const MERGE_RELATIONS = `
UNWIND $rows AS row
MATCH (c:Chunk {id: row.chunkId})
WHERE c.documentId = $documentId AND c.version = $version
MATCH (source:Entity {key: row.sourceKey})
MATCH (target:Entity {key: row.targetKey})
MERGE (source)-[r:RELATED {type: row.type, chunkId: row.chunkId}]->(target)
SET r.description = row.description, r.documentId = $documentId, r.version = $version
RETURN count(*) AS written`;

export const ENTITIES_OF_CHUNKS = `
UNWIND $chunkIds AS chunkId
MATCH (c:Chunk {id: chunkId})-[:HAS_ENTITY]->(e:Entity)
RETURN c.id AS chunkId, e.key AS key, e.name AS name, e.type AS type, e.description AS description
ORDER BY chunkId, key`;

/** Entities the selected versions mention: the only ones a delete can orphan. Read before deleting. */
export const MENTIONED_ENTITY_KEYS = `
MATCH (c:Chunk)-[:HAS_ENTITY]->(e:Entity)
WHERE c.documentId = $documentId AND ${versionSelected('c.version')}
RETURN DISTINCT e.key AS key`;

/** RELATED edges live between entities, not on chunks, so they go first; in bounded transactions. */
export const DELETE_RELATIONS_BATCH = `
MATCH ()-[r:RELATED]->()
WHERE r.documentId = $documentId AND ${versionSelected('r.version')}
WITH r LIMIT $batchSize
DELETE r
RETURN count(*) AS deleted`;

/** DETACH removes PART_OF, NEXT_CHUNK and HAS_ENTITY edges with the chunk. */
export const DELETE_CHUNKS_BATCH = `
MATCH (c:Chunk)
WHERE c.documentId = $documentId AND ${versionSelected('c.version')}
WITH c LIMIT $batchSize
DETACH DELETE c
RETURN count(*) AS deleted`;

/** Drops the selected versions from the Document node, and the node once no version is left. */
export const PRUNE_DOCUMENT = `
MATCH (d:Document {id: $documentId})
SET d.versions = [v IN coalesce(d.versions, []) WHERE NOT (${versionSelected('v')})]
WITH d
WHERE size(d.versions) = 0
DETACH DELETE d`;

/**
 * $keys: entity keys. An entity no chunk mentions any more goes, with any RELATED edge left on it.
 * The no-op SET takes the node's write lock before the check, so a writer that is adding a mention
 * right now is waited for and its mention seen, instead of being detached and lost.
 */
export const DELETE_ORPHAN_ENTITIES = `
UNWIND $keys AS key
MATCH (e:Entity {key: key})
SET e.key = e.key
WITH e
WHERE NOT EXISTS { MATCH (e)<-[:HAS_ENTITY]-(:Chunk) }
DETACH DELETE e`;

export const COUNT_DOCUMENTS = `
MATCH (d:Document)
WHERE ($documentId IS NULL OR d.id = $documentId) AND ($version IS NULL OR $version IN d.versions)
RETURN count(d) AS count`;

export const COUNT_CHUNKS = `
MATCH (c:Chunk)
WHERE ($documentId IS NULL OR c.documentId = $documentId) AND ($version IS NULL OR c.version = $version)
RETURN count(c) AS count`;

/** Unfiltered on purpose: every Entity node counts, so an orphan shows up in the totals. */
export const COUNT_ALL_ENTITIES = `
MATCH (e:Entity)
RETURN count(e) AS count`;

export const COUNT_MENTIONED_ENTITIES = `
MATCH (c:Chunk)-[:HAS_ENTITY]->(e:Entity)
WHERE ($documentId IS NULL OR c.documentId = $documentId) AND ($version IS NULL OR c.version = $version)
RETURN count(DISTINCT e) AS count`;

export const COUNT_RELATIONS = `
MATCH ()-[r:RELATED]->()
WHERE ($documentId IS NULL OR r.documentId = $documentId) AND ($version IS NULL OR r.version = $version)
RETURN count(r) AS count`;

/** Every statement above by name, for the Cypher lint test. */
export const CYPHER_STATEMENTS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    SCHEMA_STATEMENTS.map((statement, index) => [`SCHEMA_STATEMENTS[${index}]`, statement]),
  ),
  MERGE_DOCUMENT,
  MERGE_CHUNKS,
  LINK_PREVIOUS_CHUNKS,
  LINK_NEXT_CHUNKS,
  MERGE_ENTITIES,
  MERGE_MENTIONS,
  MERGE_RELATIONS,
  ENTITIES_OF_CHUNKS,
  MENTIONED_ENTITY_KEYS,
  DELETE_RELATIONS_BATCH,
  DELETE_CHUNKS_BATCH,
  PRUNE_DOCUMENT,
  DELETE_ORPHAN_ENTITIES,
  COUNT_DOCUMENTS,
  COUNT_CHUNKS,
  COUNT_ALL_ENTITIES,
  COUNT_MENTIONED_ENTITIES,
  COUNT_RELATIONS,
};

export const ALL_CYPHER_STATEMENTS: readonly string[] = Object.values(CYPHER_STATEMENTS);
