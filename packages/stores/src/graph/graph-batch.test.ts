import type { GraphEntity, GraphMention, GraphRelation } from '@aegis/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GraphBatch, partitionGraphBatch, prepareGraphBatch } from './graph-batch.ts';

/** A document's resolved graph: chunks mention entities; relations join mentioned entities, read from a chunk. */
const graphArb = fc
  .record({
    chunks: fc.integer({ min: 1, max: 30 }),
    entities: fc.integer({ min: 1, max: 25 }),
  })
  .chain(({ chunks, entities }) =>
    fc.record({
      mentions: fc.array(fc.tuple(fc.nat(chunks - 1), fc.nat(entities - 1)), {
        minLength: 1,
        maxLength: 120,
      }),
      relations: fc.array(fc.tuple(fc.nat(chunks - 1), fc.nat(entities - 1), fc.nat(entities - 1)), {
        maxLength: 80,
      }),
      maxRows: fc.integer({ min: 1, max: 60 }),
    }),
  )
  .map(({ mentions, relations, maxRows }) => {
    const mentioned = new Set(mentions.map(([, entity]) => entity));
    const entities: GraphEntity[] = [...mentioned].map((index) => ({
      key: `e${index}`,
      name: `E${index}`,
      type: 'THING',
      description: `entity ${index}`,
    }));
    const graphMentions: GraphMention[] = mentions.map(([chunk, entity]) => ({
      chunkId: `c${chunk}`,
      entityKey: `e${entity}`,
    }));
    const graphRelations: GraphRelation[] = relations
      .filter(([, source, target]) => mentioned.has(source) && mentioned.has(target))
      .map(([chunk, source, target]) => ({
        sourceKey: `e${source}`,
        targetKey: `e${target}`,
        type: 'RELATED_TO',
        description: '',
        chunkId: `c${chunk}`,
      }));
    return { batch: prepareGraphBatch(entities, graphMentions, graphRelations), maxRows };
  });

const rowsOf = (part: GraphBatch) => part.entities.length + part.mentions.length + part.relations.length;
const mentionKey = (m: GraphMention) => `${m.chunkId}|${m.entityKey}`;
const relationKey = (r: GraphRelation) => `${r.sourceKey}|${r.targetKey}|${r.type}|${r.chunkId}`;

describe('partitionGraphBatch', () => {
  it('covers the batch exactly, in self-contained parts of bounded size split at chunk boundaries', () => {
    fc.assert(
      fc.property(graphArb, ({ batch, maxRows }) => {
        const parts = partitionGraphBatch(batch, maxRows);
        // Union = the batch (mentions may repeat across parts to anchor relation endpoints).
        expect(new Set(parts.flatMap((part) => part.mentions.map(mentionKey)))).toEqual(
          new Set(batch.mentions.map(mentionKey)),
        );
        expect(parts.flatMap((part) => part.relations.map(relationKey)).sort()).toEqual(
          batch.relations.map(relationKey).sort(),
        );
        expect(new Set(parts.flatMap((part) => part.entities.map((e) => e.key)))).toEqual(
          new Set(batch.entities.map((e) => e.key)),
        );
        const chunkParts = new Map<string, Set<number>>();
        parts.forEach((part, index) => {
          const keys = new Set(part.entities.map((entity) => entity.key));
          const mentionedHere = new Set(part.mentions.map((mention) => mention.entityKey));
          // No orphan inside a transaction: each entity is mentioned in its part, each endpoint is an entity of it.
          expect(mentionedHere).toEqual(keys);
          for (const relation of part.relations) {
            expect(keys.has(relation.sourceKey) && keys.has(relation.targetKey)).toBe(true);
          }
          for (const relation of part.relations) {
            const seen = chunkParts.get(relation.chunkId) ?? new Set<number>();
            seen.add(index);
            chunkParts.set(relation.chunkId, seen);
          }
          for (const entity of part.entities) {
            expect(entity).toEqual(batch.entities.find((e) => e.key === entity.key));
          }
        });
        // A chunk's relations are never split over two parts.
        for (const seen of chunkParts.values()) expect(seen.size).toBe(1);
        // Bounded: a part exceeds maxRows only when it holds a single chunk's rows.
        for (const part of parts) {
          if (rowsOf(part) <= maxRows) continue;
          const relationChunks = new Set(part.relations.map((r) => r.chunkId));
          expect(relationChunks.size).toBeLessThanOrEqual(1);
          const main = [...relationChunks][0] ?? part.mentions[0]?.chunkId;
          const endpoints = new Set(part.relations.flatMap((r) => [r.sourceKey, r.targetKey]));
          for (const mention of part.mentions)
            expect(mention.chunkId === main || endpoints.has(mention.entityKey)).toBe(true);
        }
        const total = batch.entities.length + batch.mentions.length + batch.relations.length;
        if (maxRows >= total) expect(parts.length).toBe(1);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('writes a big document in many bounded parts', () => {
    const entities = Array.from({ length: 300 }, (_, i) => ({
      key: `e${i}`,
      name: `E${i}`,
      type: 'T',
      description: '',
    }));
    const mentions = Array.from({ length: 3_000 }, (_, i) => ({
      chunkId: `c${Math.floor(i / 5)}`,
      entityKey: `e${(i * 7) % 300}`,
    }));
    const parts = partitionGraphBatch(prepareGraphBatch(entities, mentions, []), 500);
    expect(parts.length).toBeGreaterThan(5);
    for (const part of parts) expect(rowsOf(part)).toBeLessThanOrEqual(500);
  });
});
