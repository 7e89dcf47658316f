import { describe, expect, it } from 'vitest';
import { extractGraph, splitSentences } from './entity-extraction.ts';

describe('extractGraph', () => {
  it('groups consecutive capitalised words, skips sentence starters and types entities', () => {
    const graph = extractGraph(
      'The team at Acme Corp. in Berlin hired Grace Hopper. This Kubernetes cluster, run by Dr. Alan Turing, is fast.',
    );
    expect(graph.entities.map(({ name, type }) => [name, type])).toEqual([
      ['Acme Corp', 'ORGANIZATION'],
      ['Berlin', 'LOCATION'],
      ['Grace Hopper', 'PERSON'],
      ['Kubernetes', 'CONCEPT'],
      ['Alan Turing', 'PERSON'],
    ]);
    expect(graph.entities[0]?.description).toBe('The team at Acme Corp. in Berlin hired Grace Hopper.');
  });

  it('relates entities co-occurring in a sentence, once per pair, in order', () => {
    const graph = extractGraph('Alice Smith met Bob Jones. Bob Jones met Alice Smith again in Paris.');
    expect(graph.relations.map(({ source, target }) => [source, target])).toEqual([
      ['Alice Smith', 'Bob Jones'],
      ['Bob Jones', 'Paris'],
      ['Alice Smith', 'Paris'],
    ]);
    expect(graph.relations.every((relation) => relation.type === 'RELATED_TO')).toBe(true);
  });

  it('is deterministic and handles empty text', () => {
    const text = 'OpenAI and Ollama serve models.';
    expect(extractGraph(text)).toEqual(extractGraph(text));
    expect(extractGraph('')).toEqual({ entities: [], relations: [] });
  });

  it('keeps titles and company abbreviations inside sentences', () => {
    expect(splitSentences('Dr. Who works at Acme Inc. in Rome. Next one!\nNew line')).toEqual([
      'Dr. Who works at Acme Inc. in Rome.',
      'Next one!',
      'New line',
    ]);
  });
});
