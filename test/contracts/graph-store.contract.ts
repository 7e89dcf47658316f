import { randomBytes } from 'node:crypto';
import type {
  GraphChunk,
  GraphCounts,
  GraphEntity,
  GraphMention,
  GraphRelation,
  GraphStore,
} from '@aegis/core';
import { chunkPointId } from '@aegis/core';
import { afterEach, describe, expect, it } from 'vitest';

/** `cleanup` removes whatever the test wrote that the test itself did not delete. */
export interface GraphStoreUnderTest {
  store: GraphStore;
  cleanup(): Promise<void>;
}

export type GraphStoreFactory = () => Promise<GraphStoreUnderTest>;

const MAX_DESCRIPTION = 1000;

/**
 * Registers the GraphStore contract for one adapter. The store may be shared with other data (a real
 * Neo4j), so every test uses fresh document ids and entity keys and compares unfiltered totals with a
 * baseline taken at its start; tests of one file run one after another, so the totals are theirs.
 */
export function describeGraphStoreContract(
  name: string,
  factory: GraphStoreFactory,
  options: { skip?: string | undefined } = {},
): void {
  const describeOrSkip = options.skip === undefined ? describe : describe.skip;
  describeOrSkip(`GraphStore contract: ${name}`, () => {
    const opened: { under: GraphStoreUnderTest; g: Fixture }[] = [];

    async function open(): Promise<{ store: GraphStore; baseline: GraphCounts; g: Fixture }> {
      const under = await factory();
      const g = fixture();
      opened.push({ under, g });
      await under.store.ensureSchema();
      return { store: under.store, baseline: await under.store.counts(), g };
    }

    afterEach(async () => {
      for (const { under, g } of opened.splice(0)) {
        // Deleting every document the test made also removes its entities (no orphans).
        for (const documentId of g.documents) await under.store.deleteDocument(documentId);
        await under.cleanup();
        await under.store.close();
      }
    });

    it('ensureSchema is idempotent', async () => {
      const { store } = await open();
      await store.ensureSchema();
      await store.ensureSchema();
    });

    it('upserts chunks idempotently and counts them per document and version', async () => {
      const { store, baseline, g } = await open();
      const doc = g.document();
      const chunks = g.chunks(doc, 1, 5);
      await store.upsertChunks({ documentId: doc, version: 1, source: 'a.pdf' }, chunks);
      await store.upsertChunks({ documentId: doc, version: 1, source: 'a.pdf' }, chunks);
      expect(await store.counts({ documentId: doc })).toEqual({
        documents: 1,
        chunks: 5,
        entities: 0,
        relations: 0,
      });
      expect(await store.counts({ documentId: doc, version: 2 })).toEqual(zero);
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 5,
        entities: 0,
        relations: 0,
      });
    });

    it('upserts entities, mentions and relations idempotently', async () => {
      const { store, baseline, g } = await open();
      const doc = g.document();
      const chunks = g.chunks(doc, 1, 2);
      const [c0, c1] = ids(chunks);
      const alice = g.entity('Alice', 'PERSON', 'a researcher');
      const acme = g.entity('Acme', 'ORGANIZATION', 'a company');
      const mentions = [mention(c0, alice), mention(c0, acme), mention(c1, acme)];
      const relations = [relation(alice, acme, 'WORKS_AT', c0)];
      await store.upsertChunks({ documentId: doc, version: 1, source: 'a.pdf' }, chunks);
      await store.upsertEntities({ documentId: doc, version: 1 }, [alice, acme], mentions, relations);
      await store.upsertEntities({ documentId: doc, version: 1 }, [alice, acme], mentions, relations);

      expect(await store.counts({ documentId: doc, version: 1 })).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      const found = await store.entitiesOfChunks([c0, c1]);
      expect(found.get(c0)).toEqual([acme, alice].sort(byKey));
      expect(found.get(c1)).toEqual([acme]);
    });

    it('entitiesOfChunks answers every requested chunk, with [] for chunks without entities', async () => {
      const { store, g } = await open();
      const doc = g.document();
      const chunks = g.chunks(doc, 1, 2);
      const [c0, c1] = ids(chunks);
      const bob = g.entity('Bob', 'PERSON', 'a person');
      await store.upsertChunks({ documentId: doc, version: 1, source: 'b.pdf' }, chunks);
      await store.upsertEntities({ documentId: doc, version: 1 }, [bob], [mention(c0, bob)], []);
      const unknown = chunkPointId(g.document(), 1, 0);
      const found = await store.entitiesOfChunks([c0, c1, unknown]);
      expect([...found.keys()].sort()).toEqual([c0, c1, unknown].sort());
      expect(found.get(c0)).toEqual([bob]);
      expect(found.get(c1)).toEqual([]);
      expect(found.get(unknown)).toEqual([]);
      expect((await store.entitiesOfChunks([])).size).toBe(0);
    });

    it('merges an entity across documents: one node, distinct descriptions joined with " | "', async () => {
      const { store, baseline, g } = await open();
      const [a, b] = [g.document(), g.document()];
      const chunksA = g.chunks(a, 1, 1);
      const chunksB = g.chunks(b, 1, 1);
      const [ca] = ids(chunksA);
      const [cb] = ids(chunksB);
      const inA = g.entity('Mozilla', 'ORGANIZATION', 'makes Firefox');
      const inB = { ...inA, description: 'a non-profit | makes Firefox' };
      await store.upsertChunks({ documentId: a, version: 1, source: 'a.pdf' }, chunksA);
      await store.upsertChunks({ documentId: b, version: 1, source: 'b.pdf' }, chunksB);
      await store.upsertEntities({ documentId: a, version: 1 }, [inA], [mention(ca, inA)], []);
      await store.upsertEntities({ documentId: b, version: 1 }, [inB], [mention(cb, inB)], []);
      // Re-running document A's write changes nothing.
      await store.upsertEntities({ documentId: a, version: 1 }, [inA], [mention(ca, inA)], []);

      expect(delta(await store.counts(), baseline).entities).toBe(1);
      const merged = { ...inA, description: 'makes Firefox | a non-profit' };
      expect((await store.entitiesOfChunks([ca])).get(ca)).toEqual([merged]);
      expect((await store.entitiesOfChunks([cb])).get(cb)).toEqual([merged]);
      expect(await store.counts({ documentId: b })).toMatchObject({ entities: 1 });
    });

    it(`caps merged descriptions at ${MAX_DESCRIPTION} characters`, async () => {
      const { store, g } = await open();
      const doc = g.document();
      const chunks = g.chunks(doc, 1, 30);
      await store.upsertChunks({ documentId: doc, version: 1, source: 'c.pdf' }, chunks);
      const base = g.entity('Verbose', 'CONCEPT', '');
      for (const [index, chunk] of chunks.entries()) {
        const entity = { ...base, description: `description number ${index} `.padEnd(100, 'x') };
        await store.upsertEntities(
          { documentId: doc, version: 1 },
          [entity],
          [mention(chunk.id, entity)],
          [],
        );
      }
      const [first] = ids(chunks);
      const [stored] = (await store.entitiesOfChunks([first])).get(first) ?? [];
      expect(stored?.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
      expect(stored?.description.length).toBeGreaterThan(MAX_DESCRIPTION - 110);
      expect(stored?.description.startsWith('description number 0 ')).toBe(true);
    });

    it('deleteVersion removes the version and the entities only it mentioned', async () => {
      const { store, baseline, g } = await open();
      const doc = g.document();
      const shared = g.entity('Shared', 'CONCEPT', 'in both versions');
      const onlyV1 = g.entity('Old', 'CONCEPT', 'only in v1');
      const onlyV2 = g.entity('New', 'CONCEPT', 'only in v2');
      const [v1c0, v1c1] = await writeVersion(store, g, doc, 1, [shared, onlyV1]);
      const [v2c0] = await writeVersion(store, g, doc, 2, [shared, onlyV2]);
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 4,
        entities: 3,
        relations: 2,
      });

      await store.deleteVersion(doc, 1);
      await store.deleteVersion(doc, 1);
      expect(await store.counts({ documentId: doc, version: 1 })).toEqual(zero);
      expect(await store.counts({ documentId: doc, version: 2 })).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      expect((await store.entitiesOfChunks([v1c0, v1c1])).get(v1c0)).toEqual([]);
      expect((await store.entitiesOfChunks([v2c0])).get(v2c0)?.map((e) => e.key)).toEqual(
        [shared.key, onlyV2.key].sort(),
      );
    });

    it('deleteOlderVersions keeps only the given version', async () => {
      const { store, baseline, g } = await open();
      const doc = g.document();
      const e1 = g.entity('One', 'CONCEPT', 'v1');
      const e2 = g.entity('Two', 'CONCEPT', 'v2');
      const e3 = g.entity('Three', 'CONCEPT', 'v3');
      await writeVersion(store, g, doc, 1, [e1, e3]);
      await writeVersion(store, g, doc, 2, [e2, e3]);
      await writeVersion(store, g, doc, 3, [e3, e1]);
      await store.deleteOlderVersions(doc, 3);
      expect(await store.counts({ documentId: doc, version: 1 })).toEqual(zero);
      expect(await store.counts({ documentId: doc, version: 2 })).toEqual(zero);
      expect(await store.counts({ documentId: doc })).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
    });

    it('deleteDocument leaves nothing behind, and keeps entities another document still mentions', async () => {
      const { store, baseline, g } = await open();
      const [a, b] = [g.document(), g.document()];
      const shared = g.entity('Common', 'CONCEPT', 'everywhere');
      const onlyA = g.entity('OnlyA', 'CONCEPT', 'in a');
      await writeVersion(store, g, a, 1, [shared, onlyA]);
      await writeVersion(store, g, a, 2, [onlyA, shared]);
      const [bc0] = await writeVersion(store, g, b, 1, [shared, g.entity('OnlyB', 'CONCEPT', 'in b')]);

      await store.deleteDocument(a);
      await store.deleteDocument(a);
      expect(await store.counts({ documentId: a })).toEqual(zero);
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 2,
        entities: 2,
        relations: 1,
      });
      expect((await store.entitiesOfChunks([bc0])).get(bc0)?.map((e) => e.key)).toContain(shared.key);

      await store.deleteDocument(b);
      expect(delta(await store.counts(), baseline)).toEqual(zero);
    });

    it('refuses mentions of unknown entities and of chunks never written, writing nothing', async () => {
      const { store, baseline, g } = await open();
      const doc = g.document();
      const chunks = g.chunks(doc, 1, 1);
      const [c0] = ids(chunks);
      await store.upsertChunks({ documentId: doc, version: 1, source: 'd.pdf' }, chunks);
      const known = g.entity('Known', 'CONCEPT', 'k');
      const stranger = g.entity('Stranger', 'CONCEPT', 's');
      await expect(
        store.upsertEntities({ documentId: doc, version: 1 }, [known], [mention(c0, stranger)], []),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        store.upsertEntities(
          { documentId: doc, version: 1 },
          [known],
          [mention(chunkPointId(doc, 1, 99), known)],
          [],
        ),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        store.upsertEntities(
          { documentId: doc, version: 1 },
          [known],
          [mention(c0, known)],
          [relation(known, stranger, 'KNOWS', c0)],
        ),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(delta(await store.counts(), baseline)).toEqual({
        documents: 1,
        chunks: 1,
        entities: 0,
        relations: 0,
      });
    });
  });
}

const zero: GraphCounts = { documents: 0, chunks: 0, entities: 0, relations: 0 };

interface Fixture {
  /** Every document id handed out, for the cleanup. */
  documents: string[];
  document(): string;
  chunks(documentId: string, version: number, count: number): GraphChunk[];
  entity(name: string, type: string, description: string): GraphEntity;
}

/** Ids unique to one test, so a shared store's other data never collides with it. */
function fixture(): Fixture {
  const run = randomBytes(4).toString('hex');
  const documents: string[] = [];
  return {
    documents,
    document: () => {
      const documentId = randomBytes(32).toString('hex');
      documents.push(documentId);
      return documentId;
    },
    chunks: (documentId, version, count) =>
      Array.from({ length: count }, (_, chunkIndex) => ({
        id: chunkPointId(documentId, version, chunkIndex),
        chunkIndex,
        pageStart: chunkIndex + 1,
        pageEnd: chunkIndex + 1,
        preview: `chunk ${chunkIndex} of v${version}`,
      })),
    entity: (name, type, description) => ({
      key: `${name.toLowerCase()}-${run}|${type}`,
      name,
      type,
      description,
    }),
  };
}

/** Two chunks; chunk 0 mentions every entity, chunk 1 the first; one relation first -> second. */
async function writeVersion(
  store: GraphStore,
  g: Fixture,
  documentId: string,
  version: number,
  entities: [GraphEntity, GraphEntity],
): Promise<[string, string]> {
  const chunks = g.chunks(documentId, version, 2);
  const [c0, c1] = ids(chunks);
  const [first, second] = entities;
  await store.upsertChunks({ documentId, version, source: `${documentId.slice(0, 6)}.pdf` }, chunks);
  await store.upsertEntities(
    { documentId, version },
    entities,
    [mention(c0, first), mention(c0, second), mention(c1, first)],
    [relation(first, second, 'RELATES_TO', c0)],
  );
  return [c0, c1];
}

function ids(chunks: readonly GraphChunk[]): [string, string] {
  const [first, second] = chunks;
  return [first?.id ?? '', second?.id ?? ''];
}

function mention(chunkId: string, entity: GraphEntity): GraphMention {
  return { chunkId, entityKey: entity.key };
}

function relation(source: GraphEntity, target: GraphEntity, type: string, chunkId: string): GraphRelation {
  return {
    sourceKey: source.key,
    targetKey: target.key,
    type,
    description: `${source.name} ${type} ${target.name}`,
    chunkId,
  };
}

function delta(now: GraphCounts, baseline: GraphCounts): GraphCounts {
  return {
    documents: now.documents - baseline.documents,
    chunks: now.chunks - baseline.chunks,
    entities: now.entities - baseline.entities,
    relations: now.relations - baseline.relations,
  };
}

function byKey(a: GraphEntity, b: GraphEntity): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
