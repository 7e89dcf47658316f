import type { VectorFilter } from '@aegis/core';
import type pg from 'pg';
import { POINT_COLUMNS, type PointRow } from './point-codec.ts';
import { SqlParams } from './sql-params.ts';
import { filterSql } from './vector-filter-sql.ts';

export interface KeywordSearchInput {
  collection: string;
  /** Postgres text search configuration of the points' `text_config`, e.g. `english`. */
  textConfig: string;
  query: string;
  limit: number;
  offset: number;
  filter: VectorFilter | undefined;
}

/** Lexemes more frequent than this are still scored but seed no candidates on their own (they are weak evidence). */
const CANDIDATE_MAX_DOCUMENT_FREQUENCY = 20_000;
/** Document frequencies are counted up to this many matches (IDF barely changes past it). */
const DOCUMENT_FREQUENCY_CAP = 200_000;

/**
 * BM25-style keyword search in Postgres. The query is split into lexemes with the collection's text
 * configuration (stemming, stop words); each lexeme gets an inverse document frequency from the GIN index
 * (`ln(1 + (N - df + 0.5) / (df + 0.5))`, counted on the whole collection), and a chunk scores the sum over the
 * lexemes it contains of IDF x `ts_rank` (term frequency with length normalisation; text weighs 1, headings 0.4,
 * the file name 0.2). Candidates are the best chunks of each lexeme (OR semantics, so no single word is
 * required), from rarer lexemes first, which keeps the cost bounded by rare words rather than by `the`.
 */
export async function keywordSearch(
  pool: pg.Pool,
  input: KeywordSearchInput,
): Promise<Array<PointRow & { score: number }>> {
  const params = new SqlParams();
  const collection = params.add(input.collection);
  const config = params.add(input.textConfig);
  const query = params.add(input.query);
  const perLexeme = params.add(Math.max(100, (input.offset + input.limit) * 4));
  const limit = params.add(input.limit);
  const offset = params.add(input.offset);
  const maxDf = params.add(CANDIDATE_MAX_DOCUMENT_FREQUENCY);
  const dfCap = params.add(DOCUMENT_FREQUENCY_CAP);
  const filters = filterSql(input.filter, params);
  const { rows } = await pool.query<PointRow & { score: number }>(
    `WITH terms AS (
       SELECT DISTINCT quote_literal(lexeme)::tsquery AS query
         FROM unnest(tsvector_to_array(to_tsvector(${config}::regconfig, ${query}))) AS lexeme
     ), total AS (
       SELECT greatest(count(*), 1)::float8 AS n FROM vector_points p WHERE p.collection = ${collection}
     ), stats AS (
       SELECT t.query,
              (SELECT count(*) FROM (SELECT 1 FROM vector_points p
                 WHERE p.collection = ${collection} AND p.tsv @@ t.query LIMIT ${dfCap}) AS matches)::float8 AS df
         FROM terms t
     ), weighted AS (
       SELECT s.query, s.df, ln(1 + (total.n - s.df + 0.5) / (s.df + 0.5)) AS idf
         FROM stats s CROSS JOIN total WHERE s.df > 0
     ), seeds AS (
       SELECT w.query FROM weighted w
        WHERE w.df <= ${maxDf} OR w.df = (SELECT min(df) FROM weighted)
     ), candidates AS (
       SELECT DISTINCT c.id FROM seeds s CROSS JOIN LATERAL (
         SELECT p.id FROM vector_points p
          WHERE p.collection = ${collection} AND p.tsv @@ s.query${filters}
          ORDER BY ts_rank(p.tsv, s.query, 1) DESC LIMIT ${perLexeme}) c
     ), scored AS (
       SELECT c.id, sum(w.idf * ts_rank(p.tsv, w.query, 1))::float8 AS score
         FROM candidates c
         JOIN vector_points p ON p.collection = ${collection} AND p.id = c.id
         JOIN weighted w ON p.tsv @@ w.query
        GROUP BY c.id
        ORDER BY score DESC, c.id LIMIT ${limit} OFFSET ${offset}
     )
     SELECT ${POINT_COLUMNS}, s.score FROM scored s
       JOIN vector_points p ON p.collection = ${collection} AND p.id = s.id
      ORDER BY s.score DESC, p.id`,
    params.values,
  );
  return rows;
}
