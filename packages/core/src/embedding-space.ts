import { createHash } from 'node:crypto';
import type { EmbeddingSpace } from './ports/vector-store.ts';

/** `provider:model@dimensions/normalisation`: one line that names a vector space in logs, errors and rows. */
export function embeddingSpaceKey(space: EmbeddingSpace): string {
  return `${space.provider}:${space.model}@${space.dimensions}/${space.normalisation}`;
}

/** `provider:model`, as the router, the ledger and chunk payloads name a model. */
export function qualifiedModel(space: Pick<EmbeddingSpace, 'provider' | 'model'>): string {
  return `${space.provider}:${space.model}`;
}

/** `provider:model` -> its parts (model names may contain colons, e.g. `llama3.1:8b`). */
export function splitQualifiedModel(qualified: string): { provider: string; model: string } {
  const separator = qualified.indexOf(':');
  if (separator <= 0) return { provider: qualified, model: '' };
  return { provider: qualified.slice(0, separator), model: qualified.slice(separator + 1) };
}

export function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return embeddingSpaceKey(a) === embeddingSpaceKey(b);
}

/**
 * The collection of a space: `<base>__<readable slug>_<hash>`. The slug keeps it recognisable in Qdrant's
 * dashboard; the first 8 hex digits of the md5 of the exact space key keep two spaces whose slugs collide
 * (`bge-m3` and `bge_m3`) apart. Only `[a-z0-9_]`, at most 200 characters. A migration computes the same
 * name in SQL (md5 of the key), so do not change the scheme without a migration.
 */
export function collectionNameFor(base: string, space: EmbeddingSpace): string {
  const key = embeddingSpaceKey(space);
  const slug = `${space.provider}_${space.model}_${space.dimensions}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 120);
  const hash = createHash('md5').update(key).digest('hex').slice(0, 8);
  return `${base}__${slug}_${hash}`;
}

/** The knowledge base of documents ingested without naming one. */
export const DEFAULT_KNOWLEDGE_BASE = 'default';

/** Knowledge base names: lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 64. */
export const KNOWLEDGE_BASE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
