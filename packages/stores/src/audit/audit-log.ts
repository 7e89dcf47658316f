import type pg from 'pg';

/** One audited request: who, what, when (set by Postgres), where from, and the outcome. */
export interface AuditEntry {
  /** The caller's key id; `null` when the request carried no valid key. */
  keyId: string | null;
  keyName: string | null;
  /** What was attempted, e.g. `document.delete` or `POST /admin/queues/api/queues/:queueName/pause`. */
  action: string;
  /** What it was attempted on (document id, key id, path), when there is one. */
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The HTTP status the caller received. */
  status: number;
  /** Non-secret facts (error code, query); never request bodies or credentials. */
  details?: Record<string, unknown> | undefined;
  /** The knowledge base the action concerned (a document's base); null for actions on no base. */
  knowledgeBase?: string | null | undefined;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  at: Date;
}

export interface AuditQuery {
  /** Rows to return, newest first. Default 50, at most 500. */
  limit?: number | undefined;
  /** Only rows with an id below this one (the previous page's last id). */
  beforeId?: string | undefined;
  keyId?: string | undefined;
  /** Only rows about these knowledge bases (a scoped key's view); undefined = every row. */
  knowledgeBases?: readonly string[] | undefined;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  list(query?: AuditQuery): Promise<AuditRecord[]>;
}

interface AuditRow {
  id: string;
  at: Date;
  key_id: string | null;
  key_name: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  user_agent: string | null;
  status: number;
  details: Record<string, unknown>;
  knowledge_base: string | null;
}

// Header values are caller-controlled; cap them so one request cannot write megabytes into the log.
const MAX_TEXT = 1_000;
// Postgres text and jsonb cannot hold NUL; a refused request with one in its path must still be audited.
const withoutNul = (value: string): string => value.replaceAll('\0', '\\0');
const clip = (value: string | null): string | null =>
  value === null ? null : withoutNul(value).slice(0, MAX_TEXT);

/** The append-only `audit_log` table. */
export function createAuditLog(options: { pool: pg.Pool }): AuditLog {
  const { pool } = options;
  return {
    async record(entry) {
      await pool.query(
        `INSERT INTO audit_log (key_id, key_name, action, target, ip, user_agent, status, details, knowledge_base)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.keyId,
          entry.keyName,
          clip(entry.action),
          clip(entry.target),
          clip(entry.ip),
          clip(entry.userAgent),
          entry.status,
          JSON.stringify(entry.details ?? {}, (_key, value: unknown) =>
            typeof value === 'string' ? withoutNul(value) : value,
          ),
          entry.knowledgeBase ?? null,
        ],
      );
    },

    async list(query = {}) {
      const limit = Math.min(Math.max(1, query.limit ?? 50), 500);
      const { rows } = await pool.query<AuditRow>(
        `SELECT id::text AS id, at, key_id, key_name, action, target, ip, user_agent, status, details, knowledge_base
           FROM audit_log
          WHERE ($1::bigint IS NULL OR id < $1::bigint)
            AND ($2::text IS NULL OR key_id = $2)
            AND ($4::text[] IS NULL OR knowledge_base = ANY($4::text[]))
          -- The table's column, not the text alias of the select list: text sorts 9 before 57.
          ORDER BY audit_log.id DESC
          LIMIT $3`,
        [
          query.beforeId ?? null,
          query.keyId ?? null,
          limit,
          query.knowledgeBases ? [...query.knowledgeBases] : null,
        ],
      );
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        keyId: row.key_id,
        keyName: row.key_name,
        action: row.action,
        target: row.target,
        ip: row.ip,
        userAgent: row.user_agent,
        status: row.status,
        details: row.details,
        knowledgeBase: row.knowledge_base,
      }));
    },
  };
}
