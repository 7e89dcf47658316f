#!/usr/bin/env node
/**
 * The model-based fault test run for minutes instead of seconds: `npm run soak -- --minutes N [--seed S]`.
 * Random sequences of ingests, same bytes, new versions, retries of random stages, cancels, deletes, kill -9s of
 * workers, Redis FLUSHALLs, Postgres stops and provider faults, each followed by the invariant check. Prints a JSON
 * report (sequences, operations, faults, violations) and exits 1 when any invariant was violated.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { checkInvariants, type FaultModel, faultCommands } from '../support/fault-model.ts';
import { startFaultSystem } from '../support/fault-system.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    workers: { type: 'string', default: '2' },
  },
});
const minutes = Number(values.minutes);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const system = await startFaultSystem({ workers: Number(values.workers) });
const deadline = Date.now() + minutes * 60_000;
const violations: Array<{ sequence: number; commands: string; violations: string[] }> = [];
let sequences = 0;
let counter = 0;
try {
  const sample = fc.sample(faultCommands(12, { postgresStopMs: [2_000, 30_000] }), { seed, numRuns: 10_000 });
  for (const commands of sample) {
    if (Date.now() > deadline) break;
    sequences += 1;
    const model: FaultModel = { documents: new Map(), counter };
    await fc.asyncModelRun(() => ({ model, real: system }), commands);
    counter = model.counter + 1;
    const found = await checkInvariants(system, model, 180_000);
    if (found.length > 0)
      violations.push({ sequence: sequences, commands: String(commands), violations: found });
    process.stderr.write(`sequence ${sequences}: ${String(commands)} -> ${found.length} violation(s)\n`);
  }
} finally {
  await system.stop();
}
const tally = Object.fromEntries(system.tally);
console.log(
  JSON.stringify(
    {
      minutes,
      seed,
      sequences,
      operations: [...system.tally.values()].reduce((a, b) => a + b, 0),
      tally,
      violations,
    },
    null,
    2,
  ),
);
process.exit(violations.length > 0 ? 1 : 0);
