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
 * similarity.
 *
 * Like real models, every model has its own vector space: the hashes are seeded by the model name, so the
 * same text embedded by two models gives unrelated vectors (cosine near 0) even at the same size. A query
 * embedded by the wrong model therefore finds nothing useful, and a test sees the mix-up. Text without
 * words maps to one fixed unit vector of the model.
 */
export function hashingEmbedding(text: string, dim: number, model: string): number[] {
  const bucketSeed = fnv1a32(`bucket:${model}`);
  const signSeed = fnv1a32(`sign:${model}`, 0x9747b28c);
  const vector = new Array<number>(dim).fill(0);
  const tokens = wordTokens(text);
  if (tokens.length === 0) return fallbackVector(dim, bucketSeed);
  for (const token of tokens) {
    const bucket = fnv1a32(token, bucketSeed) % dim;
    const sign = fnv1a32(token, signSeed) & 1 ? 1 : -1;
    vector[bucket] = (vector[bucket] ?? 0) + sign;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  // Colliding ±1 features can cancel to the zero vector; fall back to the model's fixed unit vector then too.
  if (norm === 0) return fallbackVector(dim, bucketSeed);
  const scale = 1 / Math.sqrt(norm);
  return vector.map((value) => value * scale);
}

/** A fixed unit vector per model: ±1/sqrt(dim) with signs from the model's seed. */
function fallbackVector(dim: number, seed: number): number[] {
  const value = 1 / Math.sqrt(dim);
  return Array.from({ length: dim }, (_, index) => (fnv1a32(String(index), seed) & 1 ? value : -value));
}

/** Little-endian float32 bytes in base64: OpenAI's `encoding_format: 'base64'`. */
export function embeddingToBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
