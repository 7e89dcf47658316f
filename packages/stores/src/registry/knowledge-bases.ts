import { AegisError } from '@aegis/core';
import type { DocumentRepository, EmbeddingBinding, KnowledgeBaseRecord } from '@aegis/pipeline';
import type pg from 'pg';
import { inTransaction } from './sql-helpers.ts';

interface KnowledgeBaseRow {
  name: string;
  embedding_provider: string | null;
  embedding_model: string | null;
  embedding_dimensions: number | null;
  created_at: Date;
}

function toRecord(row: KnowledgeBaseRow): KnowledgeBaseRecord {
  return {
    name: row.name,
    embedding:
      row.embedding_provider === null || row.embedding_model === null
        ? undefined
        : {
            provider: row.embedding_provider,
            model: row.embedding_model,
            dimensions: row.embedding_dimensions,
          },
    createdAt: row.created_at,
  };
}

/** Knowledge bases and their embedding bindings (ADR 007), in Postgres. */
export function createKnowledgeBaseQueries(
  pool: pg.Pool,
): Pick<DocumentRepository, 'knowledgeBase' | 'bindEmbedding'> {
  return {
    async knowledgeBase(name) {
      const { rows } = await pool.query<KnowledgeBaseRow>('SELECT * FROM knowledge_bases WHERE name = $1', [
        name,
      ]);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async bindEmbedding(name, binding) {
      return inTransaction(pool, async (client) => {
        // The base may be new: create it, then decide under its row lock so concurrent first embeddings agree.
        await client.query('INSERT INTO knowledge_bases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
          name,
        ]);
        const { rows } = await client.query<KnowledgeBaseRow>(
          'SELECT * FROM knowledge_bases WHERE name = $1 FOR UPDATE',
          [name],
        );
        const current = rows[0] ? toRecord(rows[0]).embedding : undefined;
        if (current === undefined) {
          await client.query(
            `UPDATE knowledge_bases SET embedding_provider = $2, embedding_model = $3, embedding_dimensions = $4,
                    bound_at = now() WHERE name = $1`,
            [name, binding.provider, binding.model, binding.dimensions],
          );
          return { ...binding };
        }
        if (current.provider !== binding.provider || current.model !== binding.model) return current;
        if (current.dimensions === null) {
          await client.query('UPDATE knowledge_bases SET embedding_dimensions = $2 WHERE name = $1', [
            name,
            binding.dimensions,
          ]);
          return { ...current, dimensions: binding.dimensions };
        }
        if (current.dimensions !== binding.dimensions) throw bindingSizeMismatch(name, current, binding);
        return current;
      });
    },
  };
}

function bindingSizeMismatch(
  name: string,
  current: EmbeddingBinding,
  incoming: EmbeddingBinding & { dimensions: number },
): AegisError {
  return new AegisError(
    'VECTOR_DIM_MISMATCH',
    `knowledge base "${name}" is bound to ${current.provider}:${current.model} with ${current.dimensions} dimensions, ` +
      `but the model now returns ${incoming.dimensions}; bind a new knowledge base to the changed model`,
    {
      details: {
        knowledgeBase: name,
        expected: current.dimensions,
        actual: incoming.dimensions,
      },
    },
  );
}
