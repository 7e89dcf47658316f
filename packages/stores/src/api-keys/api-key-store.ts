import { AegisError, KNOWLEDGE_BASE_NAME } from '@aegis/core';
import type pg from 'pg';
import {
  type ApiKeyRole,
  hashApiKey,
  isApiKeyRole,
  newApiKey,
  newKeyId,
  parseApiKey,
  sameHash,
} from './api-key-format.ts';

/** A stored key, without anything secret. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  roles: ApiKeyRole[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The knowledge bases the key may see; undefined = every base. */
  knowledgeBases: string[] | undefined;
}

/** Who a verified key belongs to. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  roles: ApiKeyRole[];
  /** The knowledge bases the key may see; undefined = every base. */
  knowledgeBases: string[] | undefined;
}

export interface ApiKeyStoreOptions {
  pool: pg.Pool;
  /** HMAC key for the stored hashes (`API_KEY_PEPPER`; see `resolveApiKeyPepper`). */
  pepper: string;
  /** `last_used_at` is written at most this often per key, in ms, so hot keys don't write on every request. Default 60000. */
  touchIntervalMs?: number | undefined;
}

export interface ApiKeyStore {
  /** Creates a key. The plaintext is returned here once and never stored: only its HMAC is. */
  create(
    name: string,
    roles: readonly ApiKeyRole[],
    scope?: { knowledgeBases?: readonly string[] | undefined },
  ): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The key's owner when the key exists, is not revoked and its hash matches; otherwise `undefined`. */
  verify(key: string): Promise<ApiKeyPrincipal | undefined>;
  /** An active (not revoked) key by id, e.g. to re-check the key behind an admin session. */
  findActive(id: string): Promise<ApiKeyPrincipal | undefined>;
  /** Every key, newest first, revoked ones included (with `revokedAt`). */
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes a key at once. False when no active key has that id. */
  revoke(id: string): Promise<boolean>;
  /** Records a use (throttled by `touchIntervalMs`); never throws. */
  touch(id: string): Promise<void>;
}

interface KeyRow {
  id: string;
  name: string;
  key_hash: string;
  roles: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  knowledge_bases: string[] | null;
}

// A hash to compare against when the id is unknown, so unknown and wrong keys take the same time.
const DUMMY_HASH = '0'.repeat(64);
const MAX_ID_ATTEMPTS = 5;

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles.filter(isApiKeyRole),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    knowledgeBases: row.knowledge_bases ?? undefined,
  };
}

function toPrincipal(row: KeyRow): ApiKeyPrincipal {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles.filter(isApiKeyRole),
    knowledgeBases: row.knowledge_bases ?? undefined,
  };
}

/** API keys in Postgres (`api_keys`), hashed with HMAC-SHA256 under a pepper kept outside the database. */
export function createApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const { pool, pepper } = options;
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const columns = 'id, name, key_hash, roles, created_at, last_used_at, revoked_at, knowledge_bases';

  return {
    async create(name, roles, scope = {}) {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 200)
        throw new AegisError('VALIDATION_FAILED', 'a key name must have 1 to 200 characters');
      const unique = [...new Set(roles)];
      const unknown = unique.filter((role) => !isApiKeyRole(role));
      if (unique.length === 0 || unknown.length > 0)
        throw new AegisError('VALIDATION_FAILED', 'roles must be one or more of ingest, read, admin', {
          details: { unknown },
        });
      const knowledgeBases = scope.knowledgeBases === undefined ? null : [...new Set(scope.knowledgeBases)];
      if (
        knowledgeBases !== null &&
        (knowledgeBases.length === 0 || knowledgeBases.some((kb) => !KNOWLEDGE_BASE_NAME.test(kb)))
      )
        throw new AegisError(
          'VALIDATION_FAILED',
          `knowledge bases of a key must be names matching ${KNOWLEDGE_BASE_NAME}`,
        );
      for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
        const id = newKeyId();
        const key = newApiKey(id);
        const { rows } = await pool.query<KeyRow>(
          `INSERT INTO api_keys (id, name, key_hash, roles, knowledge_bases) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO NOTHING RETURNING ${columns}`,
          [id, trimmed, hashApiKey(key, pepper), unique, knowledgeBases],
        );
        const row = rows[0];
        if (row) return { key, record: toRecord(row) };
      }
      throw new AegisError('INTERNAL', 'could not find a free key id');
    },

    async verify(key) {
      const parsed = parseApiKey(key);
      const presented = hashApiKey(key, pepper);
      if (!parsed) {
        sameHash(presented, DUMMY_HASH);
        return undefined;
      }
      const { rows } = await pool.query<KeyRow>(
        `SELECT ${columns} FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
        [parsed.id],
      );
      const row = rows[0];
      const matches = sameHash(presented, row?.key_hash ?? DUMMY_HASH);
      if (!row || !matches) return undefined;
      return toPrincipal(row);
    },

    async findActive(id) {
      const { rows } = await pool.query<KeyRow>(
        `SELECT ${columns} FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
        [id],
      );
      const row = rows[0];
      return row ? toPrincipal(row) : undefined;
    },

    async list() {
      const { rows } = await pool.query<KeyRow>(
        `SELECT ${columns} FROM api_keys ORDER BY created_at DESC, id`,
      );
      return rows.map(toRecord);
    },

    async revoke(id) {
      const result = await pool.query(
        'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
        [id],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async touch(id) {
      await pool
        .query(
          `UPDATE api_keys SET last_used_at = now()
            WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
          [id, touchIntervalMs / 1000],
        )
        .catch(() => {});
    },
  };
}
