import { AegisError } from './errors.ts';
import type { MetadataValue } from './ports/vector-store.ts';

/** Limits on user metadata given on ingest. */
export const METADATA_LIMITS = {
  /** Serialized JSON, in bytes. */
  maxBytes: 8_192,
  /** Nesting of objects and arrays below the top-level object. */
  maxDepth: 4,
  /** Keys per object. */
  maxKeys: 64,
  /** Key length, in characters. */
  maxKeyLength: 64,
} as const;

/** Top-level keys are filterable: letters, digits, `_` and `-`. */
const TOP_LEVEL_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks user metadata: a JSON object (not an array or scalar), at most 8 KiB serialized and 4 levels deep,
 * finite numbers only, top-level keys that filters can name. Returns a plain copy.
 *
 * @throws AegisError `VALIDATION_FAILED` naming the first problem (`details.path`).
 */
export function validateMetadata(input: unknown): Record<string, MetadataValue> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('metadata must be a JSON object', '$');
  for (const key of Object.keys(input))
    if (!TOP_LEVEL_KEY.test(key)) throw invalid(`metadata keys must match ${TOP_LEVEL_KEY}`, `$.${key}`);
  const copy = check(input, '$', 0) as Record<string, MetadataValue>;
  const bytes = Buffer.byteLength(JSON.stringify(copy), 'utf8');
  if (bytes > METADATA_LIMITS.maxBytes)
    throw invalid(`metadata is ${bytes} bytes of JSON; at most ${METADATA_LIMITS.maxBytes} are allowed`, '$');
  return copy;
}

/** Parses metadata sent as JSON text (a multipart field, a CLI flag), then validates it. */
export function parseMetadata(text: string | undefined): Record<string, MetadataValue> {
  if (text === undefined || text.trim() === '') return {};
  if (Buffer.byteLength(text, 'utf8') > METADATA_LIMITS.maxBytes * 4)
    throw invalid('metadata is too large', '$');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('metadata is not valid JSON', '$');
  }
  return validateMetadata(parsed);
}

function check(value: unknown, path: string, depth: number): MetadataValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('metadata numbers must be finite', path);
    return value;
  }
  if (typeof value !== 'object') throw invalid('metadata values must be JSON', path);
  if (depth >= METADATA_LIMITS.maxDepth)
    throw invalid(`metadata may nest at most ${METADATA_LIMITS.maxDepth} levels`, path);
  if (Array.isArray(value)) return value.map((item, index) => check(item, `${path}[${index}]`, depth + 1));
  const entries = Object.entries(value);
  if (entries.length > METADATA_LIMITS.maxKeys)
    throw invalid(`metadata objects may have at most ${METADATA_LIMITS.maxKeys} keys`, path);
  const copy: Record<string, MetadataValue> = {};
  for (const [key, item] of entries) {
    if (key.length === 0 || key.length > METADATA_LIMITS.maxKeyLength)
      throw invalid(
        `metadata keys must have 1 to ${METADATA_LIMITS.maxKeyLength} characters`,
        `${path}.${key}`,
      );
    copy[key] = check(item, `${path}.${key}`, depth + 1);
  }
  return copy;
}

function invalid(message: string, path: string): AegisError {
  return new AegisError('VALIDATION_FAILED', message, { details: { path } });
}
