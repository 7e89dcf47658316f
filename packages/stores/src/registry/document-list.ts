import { AegisError, type VersionStatus } from '@aegis/core';
import type pg from 'pg';

export interface DocumentListFilters {
  /** Status of the latest version. */
  status?: VersionStatus | undefined;
  /** Case-insensitive substring of the display name. */
  q?: string | undefined;
  /** Page size, 1..100. Default 20. */
  limit?: number | undefined;
  /** The previous page's `nextCursor`. */
  cursor?: string | undefined;
  /** Only documents of these knowledge bases (a scoped key's view, or a filter). */
  knowledgeBases?: readonly string[] | undefined;
}

export interface DocumentListItem {
  documentId: string;
  displayName: string;
  sourceKey: string;
  latestVersion: number;
  activeVersion: number | null;
  /** Status of the latest version. */
  status: VersionStatus | null;
  createdAt: string;
  updatedAt: string;
}

export interface DocumentListPage {
  documents: DocumentListItem[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

interface Cursor {
  createdAt: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

// Postgres's text of a timestamptz, as `created_at::text` gives it: `2026-11-21 17:23:09.123456+00`.
const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2})(:\d{2})?$/;

/** True for a calendar date and time Postgres accepts (no month 13, no 30 February, no hour 25). */
function isTimestamp(text: string): boolean {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0));
  return (
    (year ?? 0) >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === (month ?? 0) - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/**
 * Only cursors this API made: anything else (garbage, a tampered or out-of-range timestamp, a NUL in the id)
 * is a 400 here rather than a database error.
 */
function decodeCursor(raw: string): Cursor {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2) {
      const [createdAt, id] = decoded as unknown[];
      if (
        typeof createdAt === 'string' &&
        typeof id === 'string' &&
        isTimestamp(createdAt) &&
        id.length > 0 &&
        id.length <= 200 &&
        !id.includes('\0')
      )
        return { createdAt, id };
    }
  } catch {
    // fall through
  }
  throw new AegisError('VALIDATION_FAILED', 'cursor is not one this API returned');
}

/** `%`, `_` and `\` are LIKE wildcards; a search for "50%" means the characters. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The page query; ($1 status, $2 name pattern, $3/$4 cursor, $5 limit). Served by documents_created_at_id_idx. */
export const DOCUMENT_LIST_SQL = `SELECT d.id, d.display_name, d.source_key, d.latest_version, d.active_version, v.status,
            d.created_at, d.created_at::text AS created_at_text, d.updated_at
       FROM documents d
       LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.latest_version
      WHERE ($1::text IS NULL OR v.status = $1)
        AND ($2::text IS NULL OR d.display_name ILIKE $2)
        AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::text))
        AND ($6::text[] IS NULL OR d.knowledge_base = ANY($6::text[]))
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT $5`;

/**
 * Documents newest first, with keyset pagination on (created_at, id): stable under concurrent inserts and as
 * fast on page 1,000 as on page 1 (unlike OFFSET).
 */
export async function listDocuments(pool: pg.Pool, filters: DocumentListFilters): Promise<DocumentListPage> {
  const limit = Math.min(Math.max(1, filters.limit ?? 20), 100);
  const cursor = filters.cursor ? decodeCursor(filters.cursor) : undefined;
  const { rows } = await pool.query<{
    id: string;
    display_name: string;
    source_key: string;
    latest_version: number;
    active_version: number | null;
    status: VersionStatus | null;
    created_at: Date;
    created_at_text: string;
    updated_at: Date;
  }>(DOCUMENT_LIST_SQL, [
    filters.status ?? null,
    filters.q ? likePattern(filters.q) : null,
    cursor?.createdAt ?? null,
    cursor?.id ?? null,
    limit + 1,
    filters.knowledgeBases ? [...filters.knowledgeBases] : null,
  ]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    documents: page.map((row) => ({
      documentId: row.id,
      displayName: row.display_name,
      sourceKey: row.source_key,
      latestVersion: row.latest_version,
      activeVersion: row.active_version,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    })),
    // The cursor keeps Postgres's own text of the timestamp: microseconds survive (a JS Date has only ms).
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: last.created_at_text, id: last.id }) : null,
  };
}
