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
