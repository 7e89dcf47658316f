/**
 * A static embedding model: one vector per token, no network, no GPU. A text's embedding is the weighted
 * mean of its tokens' vectors, L2-normalised (cosine). Two families:
 * - word vectors (GloVe, word2vec, fastText `.vec`): lower-cased word tokens; rows are in frequency order, so a
 *   word's weight grows with the log of its rank (Zipf weighting: `the` counts little, rare words much), the
 *   cheap stand-in for SIF weighting that model2vec also uses;
 * - model2vec: a subword tokenizer (`tokenizer.json`) and an embedding matrix distilled from a sentence
 *   transformer, whose rows already carry those weights: plain mean.
 * A word the vocabulary lacks still counts: it gets a fixed pseudo-random direction of its own (hashed), so the
 * same unknown code or name in a query and a chunk still match.
 */
export interface StaticModel {
  readonly dimensions: number;
  readonly vocabularySize: number;
  embed(text: string): number[];
}

export interface WordVectorData {
  words: string[];
  /** `words.length * dimensions` floats, row-major, rows in the file's (frequency) order. */
  matrix: Float32Array;
  dimensions: number;
}

const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;

export function createWordVectorModel(data: WordVectorData): StaticModel {
  const index = new Map<string, number>();
  data.words.forEach((word, row) => {
    if (!index.has(word)) index.set(word, row);
  });
  const { dimensions, matrix } = data;
  const unknownScale = meanRowNorm(matrix, dimensions, Math.min(1000, data.words.length));
  return {
    dimensions,
    vocabularySize: data.words.length,
    embed(text) {
      const sum = new Float64Array(dimensions);
      let weightTotal = 0;
      for (const token of text.toLowerCase().match(WORD) ?? []) {
        const row = index.get(token) ?? index.get(token.replace(/['’.-]/g, ''));
        if (row !== undefined) {
          const weight = Math.log(row + 2);
          const offset = row * dimensions;
          for (let d = 0; d < dimensions; d += 1) sum[d] = (sum[d] ?? 0) + weight * (matrix[offset + d] ?? 0);
          weightTotal += weight;
        } else {
          // Unknown words are rare by definition: the largest weight, in a direction of their own.
          const weight = Math.log(data.words.length + 2);
          addHashedDirection(sum, token, weight * unknownScale);
          weightTotal += weight;
        }
      }
      return finish(sum, weightTotal);
    },
  };
}

export interface Model2VecData {
  /** Token ids of a text (no special tokens). */
  tokenize(text: string): number[];
  matrix: Float32Array;
  dimensions: number;
  rows: number;
}

export function createModel2VecModel(data: Model2VecData): StaticModel {
  const { dimensions, matrix, rows } = data;
  return {
    dimensions,
    vocabularySize: rows,
    embed(text) {
      const sum = new Float64Array(dimensions);
      let count = 0;
      for (const id of data.tokenize(text)) {
        if (id < 0 || id >= rows) continue;
        const offset = id * dimensions;
        for (let d = 0; d < dimensions; d += 1) sum[d] = (sum[d] ?? 0) + (matrix[offset + d] ?? 0);
        count += 1;
      }
      return finish(sum, count);
    },
  };
}

/** Mean, then unit length; a text with no token (or a zero sum) gets one fixed unit vector. */
function finish(sum: Float64Array, total: number): number[] {
  let norm = 0;
  for (const value of sum) norm += value * value;
  if (total === 0 || norm === 0) return Array.from(sum, (_, d) => (d === 0 ? 1 : 0));
  const scale = 1 / Math.sqrt(norm);
  return Array.from(sum, (value) => value * scale);
}

function meanRowNorm(matrix: Float32Array, dimensions: number, rows: number): number {
  if (rows === 0) return 1;
  let total = 0;
  for (let row = 0; row < rows; row += 1) {
    let squares = 0;
    for (let d = 0; d < dimensions; d += 1) squares += (matrix[row * dimensions + d] ?? 0) ** 2;
    total += Math.sqrt(squares);
  }
  return total / rows;
}

/** Adds `scale` × a deterministic pseudo-random unit direction of `word` (xorshift seeded by FNV-1a). */
function addHashedDirection(sum: Float64Array, word: string, scale: number): void {
  let seed = 0x811c9dc5;
  for (let i = 0; i < word.length; i += 1) seed = Math.imul(seed ^ word.charCodeAt(i), 0x01000193) >>> 0;
  const direction = new Float64Array(sum.length);
  let norm = 0;
  for (let d = 0; d < sum.length; d += 1) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    const value = seed / 0xffffffff - 0.5;
    direction[d] = value;
    norm += value * value;
  }
  const factor = scale / Math.sqrt(norm || 1);
  for (let d = 0; d < sum.length; d += 1) sum[d] = (sum[d] ?? 0) + (direction[d] ?? 0) * factor;
}
