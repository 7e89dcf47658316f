import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** What a key may do. `admin` implies every other role. */
export type ApiKeyRole = 'ingest' | 'read' | 'admin';

export const API_KEY_ROLES: readonly ApiKeyRole[] = ['ingest', 'read', 'admin'];

/** `aegis_<8-char id>_<48 hex chars>`: the id is public (logs, audit), the secret is 192 random bits. */
const KEY_PATTERN = /^aegis_([a-z0-9]{8})_([0-9a-f]{32,128})$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_BYTES = 24;

export function isApiKeyRole(value: string): value is ApiKeyRole {
  return (API_KEY_ROLES as readonly string[]).includes(value);
}

/** True when `roles` grant `needed` (admin grants everything). */
export function hasRole(roles: readonly ApiKeyRole[], needed: ApiKeyRole): boolean {
  return roles.includes('admin') || roles.includes(needed);
}

/** A fresh key id: 8 characters of [a-z0-9] (about 41 bits; uniqueness is enforced by the primary key). */
export function newKeyId(): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** The full plaintext key for an id, with a fresh secret. */
export function newApiKey(id: string): string {
  return `aegis_${id}_${randomBytes(SECRET_BYTES).toString('hex')}`;
}

/** Splits a presented key into its id, or `undefined` when it is not shaped like one of ours. */
export function parseApiKey(key: string): { id: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match?.[1] === undefined ? undefined : { id: match[1] };
}

/**
 * HMAC-SHA256 of the whole key under the pepper, hex. Hashing the whole key (not only the secret) binds the
 * secret to its id, so a hash row can never verify a secret presented under another id.
 */
export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
