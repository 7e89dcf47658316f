#!/usr/bin/env node
/**
 * How long a killed worker's job takes to run again elsewhere: `npm run bench:takeover -- [--lock-ms 30000] [--runs 3]`.
 * Two worker processes; a document whose embedding hangs; the worker holding the embed job is killed with SIGKILL
 * and the time until the simulator sees the job's next embedding request (another worker took it over) is measured.
 * WORKER_LOCK_DURATION_MS is the promised bound. Writes bench/results/takeover-<date>.json.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stageJobId } from '@aegis/core';
import { startWorker } from '../../test/support/fault-model.ts';
import { startFaultSystem } from '../../test/support/fault-system.ts';

const { values } = parseArgs({
  options: { 'lock-ms': { type: 'string', default: '30000' }, runs: { type: 'string', default: '3' } },
});
const lockMs = Number(values['lock-ms']);
const runs = Number(values.runs);
const system = await startFaultSystem({
  workers: 0,
  // A hanging request of the killed worker's successor gives up soon, so each run ends quickly.
  env: { WORKER_LOCK_DURATION_MS: String(lockMs), LLM_REQUEST_TIMEOUT_MS: '5000' },
});
const takeovers: number[] = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const { sim } = system.harness;
    sim.faults.clear();
    sim.faults.add({ provider: 'ollama', route: 'embed', hang: true });
    const workers = [startWorker(system), startWorker(system)];
    const registration = await system.harness.runtime.producer.ingest({
      data: new TextEncoder().encode(
        `# Takeover ${run}\n\n${'Alan Turing and the Manchester Mark 1. '.repeat(20)}`,
      ),
      displayName: `takeover-${run}.md`,
    });
    const before = sim.requests.length;
    const first = await sim.waitForRequest(
      (request) => request.route === 'embed' && request.id > before,
      120_000,
    );
    // The worker holding the job recorded itself on it (`processedBy` = host:pid).
    const job = await system.harness.runtime.queues
      .queue('embed')
      .getJob(stageJobId(registration.documentId, registration.version, 'embed', 1));
    const victim = workers.find((worker) => String(worker.pid) === job?.processedBy?.split(':').at(-1));
    if (!victim) throw new Error(`no worker holds the embed job (processedBy ${job?.processedBy})`);
    const killedAt = Date.now();
    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    await exited;
    const next = await sim.waitForRequest(
      (request) => request.route === 'embed' && request.id > first.id,
      lockMs * 3,
    );
    takeovers.push(next.startedAt - killedAt);
    process.stderr.write(`run ${run + 1}: taken over after ${next.startedAt - killedAt} ms\n`);
    // Let the document finish, so no job of this run is left to be taken over during the next one.
    sim.faults.clear();
    await system.harness.waitForVersion(registration.documentId, registration.version, undefined, lockMs * 4);
    for (const worker of system.workers)
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  }
} finally {
  await system.stop();
}
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtEnd: loadavg()[0] },
  workerLockDurationMs: lockMs,
  takeoverMs: takeovers,
  maxMs: Math.max(...takeovers),
  withinBound: takeovers.every((ms) => ms <= lockMs),
};
console.log(JSON.stringify(result, null, 2));
await writeFile(
  join(import.meta.dirname, '..', 'results', `takeover-${result.date.slice(0, 10)}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
