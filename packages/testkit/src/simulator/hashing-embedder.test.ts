import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embeddingToBase64, fnv1a32, hashingEmbedding } from './hashing-embedder.ts';

const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
const M = 'bge-m3';

describe('hashingEmbedding', () => {
  it('is stable, unit length and case-insensitive', () => {
    const a = hashingEmbedding('Vector Search in Postgres', 128, M);
    expect(a).toEqual(hashingEmbedding('vector search in postgres', 128, M));
    expect(Math.sqrt(dot(a, a))).toBeCloseTo(1, 12);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });

  it('scores texts sharing words above unrelated texts', () => {
    const query = hashingEmbedding('how do queues retry failed jobs', 1024, M);
    const related = hashingEmbedding('failed jobs are retried by the queues', 1024, M);
    const unrelated = hashingEmbedding('photosynthesis converts sunlight into sugar', 1024, M);
    expect(dot(query, related)).toBeGreaterThan(0.3);
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated));
  });

  it('gives every model its own vector space: the same text is unrelated across models of one size', () => {
    const sentence = fc
      .array(fc.constantFrom('queue', 'retry', 'vector', 'search', 'page', 'chunk', 'model', 'graph'), {
        minLength: 3,
        maxLength: 12,
      })
      .map((words) => words.join(' '));
    let crossTotal = 0;
    let runs = 0;
    fc.assert(
      fc.property(sentence, (text) => {
        const a = hashingEmbedding(text, 1024, 'bge-m3');
        const b = hashingEmbedding(text, 1024, 'text-embedding-3-small');
        expect(dot(a, hashingEmbedding(text, 1024, 'bge-m3'))).toBeCloseTo(1, 9);
        crossTotal += Math.abs(dot(a, b));
        runs += 1;
      }),
      { numRuns: 200, seed: 7 },
    );
    // Words land in unrelated buckets with unrelated signs: the cross-model cosine averages near zero.
    expect(crossTotal / runs).toBeLessThan(0.1);
  });

  it('maps text without words to one fixed unit vector per model', () => {
    const empty = hashingEmbedding('', 16, M);
    expect(empty).toEqual(hashingEmbedding('  ?! ', 16, M));
    expect(Math.sqrt(dot(empty, empty))).toBeCloseTo(1, 12);
    expect(hashingEmbedding('', 16, 'other')).not.toEqual(empty);
  });

  it('encodes base64 as little-endian float32', () => {
    const vector = hashingEmbedding('abc', 8, M);
    const bytes = Buffer.from(embeddingToBase64(vector), 'base64');
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 8));
    floats.forEach((value, i) => {
      expect(value).toBeCloseTo(vector[i] ?? Number.NaN, 6);
    });
  });
});
