import type { AppConfig } from '@aegis/config';
import type { GraphStore, VectorStore } from '@aegis/core';
import {
  createNeo4jGraphStore,
  createPostgresGraphStore,
  createPostgresVectorStore,
  createQdrantVectorStore,
} from '@aegis/stores';
import type pg from 'pg';

/** VECTOR_STORE / GRAPH_STORE pick the adapters; Postgres (lite) needs nothing but the pool. */
export function storesFromConfig(
  config: AppConfig,
  pool: pg.Pool,
): { vectors: VectorStore; graph: GraphStore } {
  const { qdrant } = config.vectorStore;
  const vectors =
    config.vectorStore.kind === 'qdrant'
      ? createQdrantVectorStore({
          url: qdrant.url as string,
          apiKey: qdrant.apiKey,
          collection: qdrant.collection,
        })
      : createPostgresVectorStore({
          pool,
          collection: qdrant.collection,
          textSearchConfig: config.search.textConfig,
        });
  const { neo4j } = config.graphStore;
  const graph =
    config.graphStore.kind === 'neo4j'
      ? createNeo4jGraphStore({
          uri: neo4j.uri as string,
          user: neo4j.user,
          password: neo4j.password ?? '',
          database: neo4j.database,
        })
      : createPostgresGraphStore({ pool });
  return { vectors, graph };
}
