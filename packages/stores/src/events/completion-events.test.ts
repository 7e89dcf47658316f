import { STAGES, type Stage, VERSION_STATUSES } from '@aegis/core';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDocumentRepository } from '../registry/postgres-document-repository.ts';
import { createWebhookStore } from './webhook-store.ts';

const FINAL = new Set(['completed', 'completed_with_warnings', 'failed', 'cancelled', 'superseded']);
const STAGE_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

type Operation =
  | { kind: 'version'; status: (typeof VERSION_STATUSES)[number]; errorCode: string | undefined }
  | { kind: 'stage'; stage: Stage; status: (typeof STAGE_STATUSES)[number] }
  | { kind: 'activate' }
  | { kind: 'reset'; stage: Stage };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('version' as const),
    status: fc.constantFrom(...VERSION_STATUSES),
    errorCode: fc.option(fc.constantFrom('PARSE_FAILED', 'WORKER_CRASHED'), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('stage' as const),
    stage: fc.constantFrom(...STAGES),
    status: fc.constantFrom(...STAGE_STATUSES),
  }),
  fc.constant({ kind: 'activate' as const }),
  fc.record({ kind: fc.constant('reset' as const), stage: fc.constantFrom(...STAGES) }),
);

describe('completion events (the outbox)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('writes exactly one event for every move into a final state and every stage failure', async () => {
    const repository = createPostgresDocumentRepository({ pool: db.pool });
    const store = createWebhookStore(db.pool);
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        counter += 1;
        const registered = await repository.register({
          sha256: counter.toString(16).padStart(64, '0'),
          byteSize: 10,
          kind: 'text',
          mimeType: 'text/plain',
          blobPath: `blob-${counter}`,
          displayName: `doc-${counter}.txt`,
          sourceKey: `upload:${counter}`,
          knowledgeBase: counter % 2 ? 'default' : 'team-a',
        });
        const { documentId, version } = registered;
        const before = await store.lastEventId();
        // The model: the status each row has, and the events a correct outbox must hold.
        let versionStatus = 'queued';
        const stageStatus = new Map<Stage, string>(STAGES.map((stage) => [stage, 'pending']));
        stageStatus.set(STAGES[0] as Stage, 'queued');
        const expected: string[] = [];
        const moveVersion = (status: string): void => {
          if (FINAL.has(status) && !FINAL.has(versionStatus)) expected.push(`document.${status}`);
          versionStatus = status;
        };
        for (const op of operations) {
          if (op.kind === 'version') {
            await repository.setVersionStatus(documentId, version, op.status, { errorCode: op.errorCode });
            moveVersion(op.status);
          } else if (op.kind === 'stage') {
            await repository.setStage(documentId, version, op.stage, op.status);
            if (op.status === 'failed' && stageStatus.get(op.stage) !== 'failed')
              expected.push(`stage.failed:${op.stage}`);
            stageStatus.set(op.stage, op.status);
          } else if (op.kind === 'activate') {
            const result = await repository.activate(documentId, version);
            moveVersion(result.status);
          } else {
            await repository.resetFrom(documentId, version, op.kind === 'reset' ? op.stage : 'extract');
            const from = STAGES.indexOf(op.stage);
            for (const stage of STAGES.slice(from))
              stageStatus.set(stage, stage === op.stage ? 'queued' : 'pending');
            moveVersion('processing');
          }
        }
        const events = await store.eventsAfter(before, 1_000);
        const seen = events
          .filter((event) => event.documentId === documentId)
          .map((event) => (event.type === 'stage.failed' ? `stage.failed:${event.stage}` : event.type));
        expect(seen).toEqual(expected);
        expect(events.every((event) => event.knowledgeBase === (counter % 2 ? 'default' : 'team-a'))).toBe(
          true,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('prunes old dispatched events with their deliveries, never one with a pending delivery or a recent one', async () => {
    const repository = createPostgresDocumentRepository({ pool: db.pool });
    const store = createWebhookStore(db.pool);
    const { webhook } = await store.create({ url: 'http://127.0.0.1:9/prune', knowledgeBase: null });
    await db.pool.query('DELETE FROM events'); // the property test's events: this test counts its own only
    const ids: number[] = [];
    for (let n = 0; n < 4; n += 1) {
      const before = await store.lastEventId();
      const { documentId, version } = await repository.register({
        sha256: `ab${n}`.padStart(64, 'f'),
        byteSize: 10,
        kind: 'text',
        mimeType: 'text/plain',
        blobPath: `prune-${n}`,
        displayName: `prune-${n}.txt`,
        sourceKey: `upload:prune-${n}`,
      });
      await repository.setVersionStatus(documentId, version, 'failed', { errorCode: 'PARSE_FAILED' });
      const [event] = await store.eventsAfter(before, 10);
      if (!event) throw new Error('no event');
      ids.push(event.id);
    }
    await store.dispatch(100);
    const [oldDone, oldPending, recentDone, oldUndispatched] = ids as [number, number, number, number];
    // Settle every delivery but one; age all events but one; one old event stays undispatched.
    await db.pool.query("UPDATE webhook_deliveries SET status = 'failed' WHERE event_id <> $1", [oldPending]);
    await db.pool.query("UPDATE events SET created_at = now() - interval '40 days' WHERE id <> $1", [
      recentDone,
    ]);
    await db.pool.query('UPDATE events SET dispatched_at = NULL WHERE id = $1', [oldUndispatched]);
    expect(await store.pruneEvents(30, 1_000)).toBe(1);
    const { rows } = await db.pool.query<{ id: string }>(
      'SELECT id FROM events WHERE id = ANY($1) ORDER BY id',
      [ids],
    );
    expect(rows.map((row) => Number(row.id))).toEqual([oldPending, recentDone, oldUndispatched]);
    const deliveries = await db.pool.query('SELECT 1 FROM webhook_deliveries WHERE event_id = $1', [oldDone]);
    expect(deliveries.rowCount).toBe(0);
    await store.remove(webhook.id);
  });
});
