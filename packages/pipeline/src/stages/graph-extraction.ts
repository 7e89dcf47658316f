import type { GraphEntity, GraphMention, GraphRelation } from '@aegis/core';
import { z } from 'zod';

/** What the model must return for one chunk; validated, and repaired once by the router when invalid. */
export const graphExtractionSchema = z.object({
  entities: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(200),
        type: z.string().trim().min(1).max(60),
        description: z.string().max(2000).default(''),
      }),
    )
    .max(200),
  relations: z
    .array(
      z.object({
        source: z.string().trim().min(1),
        target: z.string().trim().min(1),
        type: z.string().trim().min(1).max(80),
        description: z.string().max(2000).default(''),
      }),
    )
    .max(400),
});
export type GraphExtraction = z.infer<typeof graphExtractionSchema>;

export const GRAPH_PROMPT_VERSION = 'graph-v1';

export const GRAPH_SYSTEM_PROMPT = `You build a knowledge graph from one passage of a document.
Return the named entities the passage talks about (people, organizations, places, events, products, technologies,
works, and the key concepts) with a type in UPPER_SNAKE_CASE (e.g. PERSON, ORGANIZATION, LOCATION, EVENT, PRODUCT,
TECHNOLOGY, WORK, CONCEPT) and a one-sentence description grounded in the passage, and the relations between
them stated or clearly implied by the passage (source and target are entity names from your list, type in
UPPER_SNAKE_CASE, a short description). Do not invent facts that are not in the passage.`;

/** Lower case, Unicode-normalised, single-spaced, without surrounding punctuation: "The  Mozilla." -> "the mozilla". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\s"'“”‘’.,;:()[\]{}-]+|[\s"'“”‘’.,;:()[\]{}-]+$/g, '');
}

export function normaliseType(type: string): string {
  const normalised = type
    .normalize('NFKC')
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return normalised || 'OTHER';
}

export function entityKey(name: string, type: string): string {
  return `${normaliseName(name)}|${normaliseType(type)}`;
}

const MAX_DESCRIPTION = 1000;

function mergeDescription(existing: string, added: string): string {
  const parts = existing ? existing.split(' | ') : [];
  const next = added.trim();
  if (next && !parts.includes(next)) parts.push(next);
  const joined = parts.join(' | ');
  return joined.length > MAX_DESCRIPTION ? `${joined.slice(0, MAX_DESCRIPTION - 1)}…` : joined;
}

export interface ResolvedGraph {
  entities: GraphEntity[];
  mentions: GraphMention[];
  relations: GraphRelation[];
}

/**
 * Entity resolution across a document's chunks: the same normalised name and type is one entity (descriptions
 * merged, the most frequent spelling kept as its name); every chunk that mentions it links to it; relations
 * whose ends are not entities of the same chunk are dropped rather than guessed.
 */
export function resolveGraph(
  extractions: ReadonlyArray<{ chunkId: string; extraction: GraphExtraction }>,
): ResolvedGraph {
  const entities = new Map<string, GraphEntity & { spellings: Map<string, number> }>();
  const mentions = new Map<string, GraphMention>();
  const relations = new Map<string, GraphRelation>();
  for (const { chunkId, extraction } of extractions) {
    const keyByName = new Map<string, string>();
    for (const entity of extraction.entities) {
      const key = entityKey(entity.name, entity.type);
      if (!normaliseName(entity.name)) continue;
      keyByName.set(normaliseName(entity.name), key);
      const existing = entities.get(key);
      const name = entity.name.trim();
      if (existing) {
        existing.description = mergeDescription(existing.description, entity.description);
        existing.spellings.set(name, (existing.spellings.get(name) ?? 0) + 1);
      } else {
        entities.set(key, {
          key,
          name,
          type: normaliseType(entity.type),
          description: mergeDescription('', entity.description),
          spellings: new Map([[name, 1]]),
        });
      }
      mentions.set(`${chunkId}|${key}`, { chunkId, entityKey: key });
    }
    for (const relation of extraction.relations) {
      const sourceKey = keyByName.get(normaliseName(relation.source));
      const targetKey = keyByName.get(normaliseName(relation.target));
      if (!sourceKey || !targetKey || sourceKey === targetKey) continue;
      const type = normaliseType(relation.type);
      relations.set(`${chunkId}|${sourceKey}|${targetKey}|${type}`, {
        sourceKey,
        targetKey,
        type,
        description: relation.description.trim(),
        chunkId,
      });
    }
  }
  return {
    entities: [...entities.values()].map(({ spellings, ...entity }) => ({
      ...entity,
      name:
        [...spellings.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ??
        entity.name,
    })),
    mentions: [...mentions.values()],
    relations: [...relations.values()],
  };
}
