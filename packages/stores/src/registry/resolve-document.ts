import { AegisError } from '@aegis/core';
import type pg from 'pg';

/** A document a reference resolved to. */
export interface ResolvedDocument {
  documentId: string;
  displayName: string;
  sourceKey: string;
}

/** Shortest id prefix accepted: shorter ones fit too many documents to be useful. */
export const MIN_ID_PREFIX = 4;
/** At most this many candidates are listed when a reference fits several documents. */
const MAX_CANDIDATES = 10;

const ID_PREFIX = /^[0-9a-f-]+$/i;

/**
 * Finds the one document a person means by `ref`: its full id, a unique id prefix (at least
 * {@link MIN_ID_PREFIX} characters), its file name (case-insensitive) or its source path.
 *
 * @throws AegisError `DOCUMENT_NOT_FOUND` when nothing fits, `DOCUMENT_AMBIGUOUS` when several do
 *   (`details.candidates` lists up to ten, newest first), `VALIDATION_FAILED` for an empty reference.
 */
export async function resolveDocument(
  pool: pg.Pool,
  ref: string,
  /** Only documents of these knowledge bases (a scoped key's view); undefined = every base. */
  knowledgeBases?: readonly string[] | undefined,
): Promise<ResolvedDocument> {
  const scope = knowledgeBases === undefined ? null : [...knowledgeBases];
  const wanted = ref.trim();
  if (wanted.length === 0 || wanted.length > 4096)
    throw new AegisError('VALIDATION_FAILED', 'Name a document by id, id prefix or file name.');
  const exact = await pool.query<ResolvedDocument>(
    `SELECT id AS "documentId", display_name AS "displayName", source_key AS "sourceKey"
       FROM documents WHERE (id = $1 OR source_key = $1) AND ($2::text[] IS NULL OR knowledge_base = ANY($2::text[]))
      LIMIT 2`,
    [wanted, scope],
  );
  if (exact.rows.length === 1 && exact.rows[0]) return exact.rows[0];
  const byPrefix = wanted.length >= MIN_ID_PREFIX && ID_PREFIX.test(wanted);
  const { rows } = await pool.query<ResolvedDocument>(
    `SELECT id AS "documentId", display_name AS "displayName", source_key AS "sourceKey"
       FROM documents
      WHERE (($2 AND id LIKE $3) OR lower(display_name) = lower($1) OR id = $1 OR source_key = $1)
        AND ($4::text[] IS NULL OR knowledge_base = ANY($4::text[]))
      ORDER BY created_at DESC, id
      LIMIT ${MAX_CANDIDATES + 1}`,
    [wanted, byPrefix, `${wanted.toLowerCase().replace(/[\\%_]/g, '')}%`, scope],
  );
  const [only] = rows;
  if (rows.length === 1 && only) return only;
  if (rows.length === 0)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      byPrefix || wanted.length < MIN_ID_PREFIX
        ? `No document has the id, id prefix or file name "${wanted}".`
        : `No document is named "${wanted}".`,
    );
  const candidates = rows.slice(0, MAX_CANDIDATES);
  throw new AegisError(
    'DOCUMENT_AMBIGUOUS',
    `"${wanted}" fits ${rows.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES}` : rows.length} documents; use more of the id: ${candidates.map((row) => `${row.documentId.slice(0, 8)} (${row.displayName})`).join(', ')}.`,
    { details: { candidates } },
  );
}
