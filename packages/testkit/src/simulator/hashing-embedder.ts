const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-16 code units of `text`, starting from `seed`. Stable across runs. */
export function fnv1a32(text: string, seed: number = FNV_OFFSET): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash;
}

/** Lowercased letter/digit runs: the features of the hashing embedder. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Deterministic, L2-normalised feature-hashing embedding: every word adds ±1 to one of `dim` buckets
 * (bucket and sign from two independent FNV-1a hashes), so texts sharing words have a high cosine
 * similarity. Text without words maps to one fixed unit vector.
 */
export function hashingEmbedding(text: string, dim: number): number[] {
  const vector = new Array<number>(dim).fill(0);
  const tokens = wordTokens(text);
  if (tokens.length === 0) return vector.fill(1 / Math.sqrt(dim));
  for (const token of tokens) {
    const bucket = fnv1a32(token) % dim;
    const sign = fnv1a32(token, 0x9747b28c) & 1 ? 1 : -1;
    vector[bucket] = (vector[bucket] ?? 0) + sign;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  // Colliding ±1 features can cancel to the zero vector; fall back to the fixed unit vector then too.
  if (norm === 0) return vector.fill(1 / Math.sqrt(dim));
  const scale = 1 / Math.sqrt(norm);
  return vector.map((value) => value * scale);
}

/** Little-endian float32 bytes in base64: OpenAI's `encoding_format: 'base64'`. */
export function embeddingToBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
