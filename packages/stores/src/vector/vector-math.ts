import { AegisError } from '@aegis/core';

/**
 * The vector scaled to unit length, so cosine similarity becomes a dot product. A zero or non-finite
 * vector has no direction and no meaningful cosine: it is refused instead of stored as NaNs.
 *
 * @throws AegisError `VALIDATION_FAILED` for an empty, zero or non-finite vector.
 */
export function l2Normalise(vector: readonly number[]): number[] {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  const norm = Math.sqrt(sumOfSquares);
  if (vector.length === 0 || !Number.isFinite(norm) || norm === 0) {
    throw new AegisError('VALIDATION_FAILED', 'a vector must be non-empty, finite and not all zeros', {
      details: { length: vector.length },
    });
  }
  return vector.map((value) => value / norm);
}

/** Checks that every vector has the collection's size; the pipeline fails fast on a model change. */
export function assertDimensions(
  vectors: Iterable<readonly number[]>,
  expected: number,
  collection: string,
): void {
  for (const vector of vectors) {
    if (vector.length !== expected) throw dimensionMismatch(collection, expected, vector.length);
  }
}

/** `VECTOR_DIM_MISMATCH`: the collection was made for another embedding model's vectors. */
export function dimensionMismatch(collection: string, expected: number, actual: number): AegisError {
  return new AegisError(
    'VECTOR_DIM_MISMATCH',
    `collection "${collection}" holds ${expected}-dimensional vectors, got ${actual}; ` +
      'use a collection per embedding model, or delete and re-create it',
    { details: { collection, expected, actual } },
  );
}

/** Writing before `ensureCollection` is a wiring bug in the caller, not an outage. */
export function collectionMissing(collection: string): AegisError {
  return new AegisError(
    'VALIDATION_FAILED',
    `vector collection "${collection}" does not exist; call ensureCollection(dimensions) first`,
    { details: { collection } },
  );
}

/** Guards the size given to ensureCollection (Qdrant would refuse it later with a less useful message). */
export function assertValidDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions <= 0 || dimensions > 65_536) {
    throw new AegisError(
      'VALIDATION_FAILED',
      `vector size must be an integer in 1..65536, got ${dimensions}`,
      {
        details: { dimensions },
      },
    );
  }
}

/**
 * Keeps the `limit` best-scoring items seen so far. Scanning a collection in pages holds one page plus
 * this small sorted list, never the whole collection.
 */
export class TopK<T> {
  readonly #limit: number;
  readonly #items: { score: number; item: T }[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The score an item must beat to enter (−Infinity while the list is not full). */
  get threshold(): number {
    return this.#items.length < this.#limit ? Number.NEGATIVE_INFINITY : (this.#items.at(-1)?.score ?? 0);
  }

  offer(score: number, item: T): void {
    if (this.#limit <= 0 || score <= this.threshold) return;
    // Insertion into a short sorted array: limit is small (tens), so this beats a heap in practice.
    let index = this.#items.length;
    while (index > 0 && (this.#items[index - 1]?.score ?? 0) < score) index -= 1;
    this.#items.splice(index, 0, { score, item });
    if (this.#items.length > this.#limit) this.#items.pop();
  }

  /** Best first. */
  results(): { score: number; item: T }[] {
    return [...this.#items];
  }
}
