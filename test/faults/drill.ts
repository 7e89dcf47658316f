#!/usr/bin/env node
/**
 * The fault drill anyone can run: `npm run drill` (options: --documents 20 --kills 20 --postgres-stop-s 30).
 * 20 documents, 2 workers killed with SIGKILL 20 times, Postgres stopped for 30 s, one Redis FLUSHALL, all while
 * the documents are processed; then waits until every version is final and prints what came out: completed,
 * stuck, duplicate points, ledger rows against the requests the simulator received and billed (its own billing log,
 * requests finished after a killed worker left included), and how long takeovers took.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { checkInvariants, startWorker } from '../support/fault-model.ts';
import { startFaultSystem } from '../support/fault-system.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '20' },
    kills: { type: 'string', default: '20' },
    'postgres-stop-s': { type: 'string', default: '30' },
    'bound-s': { type: 'string', default: '600' },
  },
});
const documents = Number(values.documents);
const kills = Number(values.kills);
const stopSeconds = Number(values['postgres-stop-s']);
const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}\n`);

const system = await startFaultSystem({ workers: 2 });
const { harness } = system;
// Slow enough that the faults land while documents are in flight.
harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 250 });
harness.sim.faults.add({ provider: 'ollama', route: 'chat', latencyMs: 150 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  const registrations = [];
  for (let index = 0; index < documents; index += 1) {
    const text = `# Drill document ${index}\n\n${Array.from({ length: 14 }, (_, p) => `Paragraph ${p} of drill ${index}: Alan Turing at Bletchley Park and the Manchester Mark 1; Grace Hopper and COBOL.`).join('\n\n')}\n`;
    registrations.push(
      await harness.runtime.producer.ingest({
        data: new TextEncoder().encode(text),
        displayName: `drill-${index}.md`,
      }),
    );
  }
  log(`${documents} documents ingested`);
  const faults = (async () => {
    for (let kill = 0; kill < kills; kill += 1) {
      await sleep(1_500);
      const alive = system.workers.filter((worker) => worker.exitCode === null && worker.signalCode === null);
      const victim = alive[kill % Math.max(1, alive.length)];
      if (victim) {
        const exited = once(victim, 'exit');
        victim.kill('SIGKILL');
        await exited;
      }
      startWorker(system);
      log(`kill -9 #${kill + 1}`);
      if (kill === Math.floor(kills / 3)) {
        const admin = new Redis(system.redis.url);
        await admin.flushall();
        admin.disconnect();
        log('Redis FLUSHALL');
      }
      if (kill === Math.floor((2 * kills) / 3)) {
        await system.postgres.stop('immediate');
        log(`Postgres stopped for ${stopSeconds} s`);
        await sleep(stopSeconds * 1_000);
        await system.postgres.start();
        log('Postgres started again');
      }
    }
  })();
  await faults;
  const violations = await checkInvariants(
    system,
    { documents: new Map(), counter: 0 },
    Number(values['bound-s']) * 1_000,
  );
  const { pool } = harness.db;
  const { rows: statuses } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM document_versions GROUP BY status ORDER BY status',
  );
  const { rows: duplicates } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT document_id, version, chunk_index FROM vector_points
       GROUP BY document_id, version, chunk_index HAVING count(*) > 1) d`,
  );
  const { rows: ledger } = await pool.query<{ n: number; estimated: number; reaped: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE usage_source = 'estimated')::int AS estimated,
            count(*) FILTER (WHERE status = 'reaped')::int AS reaped FROM llm_ledger`,
  );
  const answered = harness.sim.requests.filter(
    (request) => request.route === 'chat' || request.route === 'embed',
  );
  // The simulator's own bill: every request it answered, or finished after its client (a killed worker) left.
  const billing = harness.sim.billing();
  const report = {
    documents,
    kills,
    postgresStopSeconds: stopSeconds,
    redisFlushes: 1,
    versions: Object.fromEntries(statuses.map((row) => [row.status, row.n])),
    completed: statuses
      .filter((row) => row.status.startsWith('completed'))
      .reduce((sum, row) => sum + row.n, 0),
    stuck: violations.filter((violation) => violation.startsWith('not final')).length,
    duplicatePoints: duplicates[0]?.n ?? 0,
    ledgerRows: ledger[0]?.n ?? 0,
    ledgerRowsEstimated: ledger[0]?.estimated ?? 0,
    ledgerRowsOfKilledWorkers: ledger[0]?.reaped ?? 0,
    simulatorRequests: answered.length,
    simulatorBilled: billing.length,
    simulatorBilledAfterClientLeft: billing.filter((entry) => entry.clientGone).length,
    violations,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.stuck > 0 || violations.length > 0 ? 1 : 0;
  void registrations;
} finally {
  await system.stop();
}
