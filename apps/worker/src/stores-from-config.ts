import type { AppConfig } from '@aegis/config';
import type { GraphStore, VectorStore } from '@aegis/core';
import {
  createNeo4jGraphStore,
  createPostgresGraphStore,
  createPostgresVectorStore,
  createQdrantVectorStore,
} from '@aegis/stores';
import type pg from 'pg';

/**
 * VECTOR_STORE / GRAPH_STORE pick the adapters; Postgres (lite) needs nothing but the pool. Async because the
 * Qdrant and Neo4j factories import their clients only when chosen (about 50 MiB resident a lite process saves).
 */
export async function storesFromConfig(
  config: AppConfig,
  pool: pg.Pool,
): Promise<{ vectors: VectorStore; graph: GraphStore }> {
  const { qdrant } = config.vectorStore;
  const vectors =
    config.vectorStore.kind === 'qdrant'
      ? await createQdrantVectorStore({
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
      ? await createNeo4jGraphStore({
          uri: neo4j.uri as string,
          user: neo4j.user,
          password: neo4j.password ?? '',
          database: neo4j.database,
        })
      : createPostgresGraphStore({ pool });
  return { vectors, graph };
}
