export type { ApiKeyRole } from './api-keys/api-key-format.ts';
export { API_KEY_ROLES, hasRole, isApiKeyRole, parseApiKey } from './api-keys/api-key-format.ts';
export type {
  ApiKeyPrincipal,
  ApiKeyRecord,
  ApiKeyStore,
  ApiKeyStoreOptions,
} from './api-keys/api-key-store.ts';
export { createApiKeyStore } from './api-keys/api-key-store.ts';
export { DEV_API_KEY_PEPPER, resolveApiKeyPepper } from './api-keys/pepper.ts';
export type { AuditEntry, AuditLog, AuditQuery, AuditRecord } from './audit/audit-log.ts';
export { createAuditLog } from './audit/audit-log.ts';
export { createFileBlobStore } from './blobs/file-blob-store.ts';
export { ensureDatabase } from './ensure-database.ts';
export type {
  CompletionEvent,
  DeliveryKey,
  DeliveryRecord,
  DeliveryTarget,
  WebhookRecord,
  WebhookStore,
} from './events/webhook-store.ts';
export { createWebhookStore } from './events/webhook-store.ts';
export { MAX_DESCRIPTION_LENGTH, mergeDescriptions } from './graph/merge-descriptions.ts';
export { ALL_CYPHER_STATEMENTS, CYPHER_STATEMENTS } from './graph/neo4j-cypher.ts';
export type { Neo4jDriverLike, Neo4jGraphStoreOptions } from './graph/neo4j-graph-store.ts';
export { createNeo4jGraphStore } from './graph/neo4j-graph-store.ts';
export type { PostgresGraphStoreOptions } from './graph/postgres-graph-store.ts';
export { createPostgresGraphStore } from './graph/postgres-graph-store.ts';
export type { PostgresPoolOptions } from './postgres-pool.ts';
export { createPostgresPool } from './postgres-pool.ts';
export type { DocumentListFilters, DocumentListItem, DocumentListPage } from './registry/document-list.ts';
export { listDocuments } from './registry/document-list.ts';
export type { DocumentStatusView, StageStatusView, VersionStatusView } from './registry/document-status.ts';
export { getDocumentStatus } from './registry/document-status.ts';
export { createPostgresDocumentRepository } from './registry/postgres-document-repository.ts';
export type { ResolvedDocument } from './registry/resolve-document.ts';
export { MIN_ID_PREFIX, resolveDocument } from './registry/resolve-document.ts';
export type { EmbeddingBinding } from './registry/system-state.ts';
export { embeddingBindings, pendingMigrations } from './registry/system-state.ts';
export type { RunMigrationsOptions, RunMigrationsResult } from './run-migrations.ts';
export { MIGRATIONS_DIR, runMigrations } from './run-migrations.ts';
export type { VectorMode } from './vector/pgvector.ts';
export { detectVectorMode, enablePgvector } from './vector/pgvector.ts';
export type { PostgresVectorStoreOptions } from './vector/postgres-vector-store.ts';
export {
  createPostgresVectorStore,
  EXACT_SCAN_MS_PER_100K_POINTS,
  uuidRanges,
} from './vector/postgres-vector-store.ts';
export type { QdrantApi, QdrantVectorStoreOptions } from './vector/qdrant-vector-store.ts';
export { createQdrantVectorStore } from './vector/qdrant-vector-store.ts';
