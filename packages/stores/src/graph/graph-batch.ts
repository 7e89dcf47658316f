import type { GraphEntity, GraphMention, GraphRelation } from '@aegis/core';
import { AegisError } from '@aegis/core';
import { mergeDescriptions } from './merge-descriptions.ts';

/** One upsertEntities call after validation: unique entities, mentions and relations. */
export interface GraphBatch {
  entities: GraphEntity[];
  mentions: GraphMention[];
  relations: GraphRelation[];
}

/**
 * Checks and de-duplicates one upsertEntities call, the same way for every adapter.
 *
 * The no-orphan rule ("an entity lives while a chunk mentions it") only holds if every written entity is
 * mentioned, and every relation joins written entities. Neo4j would silently skip a relation whose
 * endpoint MATCH finds nothing while Postgres would fail on the foreign key, so both refuse it up front.
 * Entities repeated in a call are merged (descriptions via mergeDescriptions) because a single Postgres
 * statement cannot update one row twice; repeated mentions and relations collapse to one (last wins).
 *
 * @throws AegisError `VALIDATION_FAILED` naming the first offending key.
 */
export function prepareGraphBatch(
  entities: readonly GraphEntity[],
  mentions: readonly GraphMention[],
  relations: readonly GraphRelation[],
): GraphBatch {
  const byKey = new Map<string, GraphEntity>();
  for (const entity of entities) {
    if (entity.key.trim() === '') throw invalid('an entity key must not be empty', { name: entity.name });
    const previous = byKey.get(entity.key);
    byKey.set(
      entity.key,
      previous === undefined
        ? { ...entity, description: mergeDescriptions('', entity.description) }
        : { ...previous, description: mergeDescriptions(previous.description, entity.description) },
    );
  }

  const uniqueMentions = new Map<string, GraphMention>();
  for (const mention of mentions) {
    if (!byKey.has(mention.entityKey)) {
      throw invalid(`mention of entity "${mention.entityKey}" that is not among the call's entities`, {
        entityKey: mention.entityKey,
        chunkId: mention.chunkId,
      });
    }
    uniqueMentions.set(`${mention.chunkId}\u0000${mention.entityKey}`, mention);
  }
  const mentioned = new Set([...uniqueMentions.values()].map((mention) => mention.entityKey));
  for (const key of byKey.keys()) {
    if (!mentioned.has(key)) {
      throw invalid(`entity "${key}" has no mention; every entity must be mentioned by a chunk`, {
        entityKey: key,
      });
    }
  }

  const uniqueRelations = new Map<string, GraphRelation>();
  for (const relation of relations) {
    for (const key of [relation.sourceKey, relation.targetKey]) {
      if (!byKey.has(key)) {
        throw invalid(`relation endpoint "${key}" is not among the call's entities`, {
          entityKey: key,
          type: relation.type,
        });
      }
    }
    const id = [relation.sourceKey, relation.targetKey, relation.type, relation.chunkId].join('\u0000');
    uniqueRelations.set(id, relation);
  }

  return {
    entities: [...byKey.values()],
    mentions: [...uniqueMentions.values()],
    relations: [...uniqueRelations.values()],
  };
}

function invalid(message: string, details: Record<string, unknown>): AegisError {
  return new AegisError('VALIDATION_FAILED', `graph write refused: ${message}`, { details });
}

/**
 * Splits a validated batch into parts of about `maxRows` rows (entities + mentions + relations) along chunk
 * boundaries, so a big document is written in bounded transactions instead of one. Each part stands on its
 * own, which keeps the no-orphan rule inside every transaction: every entity of a part is mentioned in that
 * part, and every relation's endpoints are entities of the part (a mention of an endpoint from another chunk
 * is repeated where needed; MERGE makes the repeat harmless). One chunk's rows are never split, so a part may
 * exceed `maxRows` when a single chunk does.
 */
export function partitionGraphBatch(batch: GraphBatch, maxRows: number): GraphBatch[] {
  const entityByKey = new Map(batch.entities.map((entity) => [entity.key, entity]));
  const firstMention = new Map<string, GraphMention>();
  const byChunk = new Map<string, { mentions: GraphMention[]; relations: GraphRelation[] }>();
  const chunkOf = (chunkId: string) => {
    let entry = byChunk.get(chunkId);
    if (entry === undefined) {
      entry = { mentions: [], relations: [] };
      byChunk.set(chunkId, entry);
    }
    return entry;
  };
  for (const mention of batch.mentions) {
    chunkOf(mention.chunkId).mentions.push(mention);
    if (!firstMention.has(mention.entityKey)) firstMention.set(mention.entityKey, mention);
  }
  for (const relation of batch.relations) chunkOf(relation.chunkId).relations.push(relation);

  const parts: GraphBatch[] = [];
  let part = newPart();
  for (const { mentions, relations } of byChunk.values()) {
    // What this chunk adds: its own rows, plus a mention (and entity) for relation endpoints not yet in the part.
    const addedMentions = new Map<string, GraphMention>();
    for (const mention of mentions) addedMentions.set(mentionId(mention), mention);
    for (const relation of relations) {
      for (const key of [relation.sourceKey, relation.targetKey]) {
        if (part.entityKeys.has(key) || [...addedMentions.values()].some((m) => m.entityKey === key))
          continue;
        const mention = firstMention.get(key) as GraphMention;
        addedMentions.set(mentionId(mention), mention);
      }
    }
    const addedEntities = new Set(
      [...addedMentions.values()]
        .map((mention) => mention.entityKey)
        .filter((key) => !part.entityKeys.has(key)),
    );
    const rows = addedMentions.size + relations.length + addedEntities.size;
    if (part.rows > 0 && part.rows + rows > maxRows) {
      parts.push(finish(part));
      part = newPart();
      // The new part has no entities yet: recompute what this chunk needs from scratch.
      for (const relation of relations) {
        for (const key of [relation.sourceKey, relation.targetKey]) {
          if ([...addedMentions.values()].some((m) => m.entityKey === key)) continue;
          const mention = firstMention.get(key) as GraphMention;
          addedMentions.set(mentionId(mention), mention);
        }
      }
    }
    for (const mention of addedMentions.values()) {
      if (!part.mentions.has(mentionId(mention))) part.mentions.set(mentionId(mention), mention);
      part.entityKeys.add(mention.entityKey);
    }
    part.relations.push(...relations);
    part.rows = part.mentions.size + part.relations.length + part.entityKeys.size;
  }
  if (part.rows > 0) parts.push(finish(part));
  return parts;

  function finish(done: ReturnType<typeof newPart>): GraphBatch {
    return {
      entities: [...done.entityKeys].map((key) => entityByKey.get(key) as GraphEntity),
      mentions: [...done.mentions.values()],
      relations: done.relations,
    };
  }
}

function newPart() {
  return {
    entityKeys: new Set<string>(),
    mentions: new Map<string, GraphMention>(),
    relations: [] as GraphRelation[],
    rows: 0,
  };
}

function mentionId(mention: GraphMention): string {
  return `${mention.chunkId}\u0000${mention.entityKey}`;
}
