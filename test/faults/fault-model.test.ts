import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants, type FaultModel, faultCommands } from '../support/fault-model.ts';
import { startFaultSystem } from '../support/fault-system.ts';

describe('model-based fault test (short seeded run; `npm run soak` runs it for minutes)', {
  timeout: 300_000,
}, () => {
  let system: Awaited<ReturnType<typeof startFaultSystem>>;
  beforeAll(async () => {
    system = await startFaultSystem({ workers: 2 });
  });
  afterAll(async () => system?.stop());

  it('after any sequence of operations and faults, every document is final and the stores agree', async () => {
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(faultCommands(7, { postgresStopMs: [1_000, 4_000] }), async (commands) => {
        const model: FaultModel = { documents: new Map(), counter };
        await fc.asyncModelRun(() => ({ model, real: system }), commands);
        counter = model.counter + 1;
        expect(await checkInvariants(system, model, 90_000)).toEqual([]);
      }),
      { numRuns: 4, seed: 20261201, endOnFailure: true },
    );
    expect(system.tally.size).toBeGreaterThan(0);
  });
});
