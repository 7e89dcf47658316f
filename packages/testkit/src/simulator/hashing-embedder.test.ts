import { describe, expect, it } from 'vitest';
import { embeddingToBase64, fnv1a32, hashingEmbedding } from './hashing-embedder.ts';

const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

describe('hashingEmbedding', () => {
  it('is stable, unit length and case-insensitive', () => {
    const a = hashingEmbedding('Vector Search in Postgres', 128);
    expect(a).toEqual(hashingEmbedding('vector search in postgres', 128));
    expect(Math.sqrt(dot(a, a))).toBeCloseTo(1, 12);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });

  it('scores texts sharing words above unrelated texts', () => {
    const query = hashingEmbedding('how do queues retry failed jobs', 1024);
    const related = hashingEmbedding('failed jobs are retried by the queues', 1024);
    const unrelated = hashingEmbedding('photosynthesis converts sunlight into sugar', 1024);
    expect(dot(query, related)).toBeGreaterThan(0.3);
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated));
  });

  it('maps text without words to one fixed unit vector', () => {
    const empty = hashingEmbedding('', 16);
    expect(empty).toEqual(hashingEmbedding('  ?! ', 16));
    expect(Math.sqrt(dot(empty, empty))).toBeCloseTo(1, 12);
  });

  it('encodes base64 as little-endian float32', () => {
    const vector = hashingEmbedding('abc', 8);
    const bytes = Buffer.from(embeddingToBase64(vector), 'base64');
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 8));
    floats.forEach((value, i) => {
      expect(value).toBeCloseTo(vector[i] ?? Number.NaN, 6);
    });
  });
});
