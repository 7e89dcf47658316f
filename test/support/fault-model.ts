import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isAegisError, outageOf, STAGES, type Stage } from '@aegis/core';
import type { PrivatePostgres, PrivateRedis } from '@aegis/testkit';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { PipelineHarness } from './pipeline-harness.ts';

const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));

/** What the model knows: documents by id, with the source they came from and whether they were deleted. */
export interface FaultModel {
  documents: Map<string, { sourceKey: string; bytes: Uint8Array[] }>;
  counter: number;
}

/** The real system under faults: the producer in this process, workers as child processes that can be killed. */
export interface FaultSystem {
  harness: PipelineHarness;
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  workers: ChildProcess[];
  /** What happened, for the report: operations and faults by name. */
  tally: Map<string, number>;
}

export function startWorker(
  system: Pick<FaultSystem, 'harness' | 'workers'>,
  env: Record<string, string> = {},
): ChildProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: { ...process.env, ...system.harness.env, METRICS_PORT: '0', MIGRATE_ON_START: 'false', ...env },
    stdio: ['ignore', env.LOG_LEVEL ? 'inherit' : 'ignore', env.LOG_LEVEL ? 'inherit' : 'ignore'],
  });
  system.workers.push(child);
  return child;
}

function count(system: FaultSystem, name: string): void {
  system.tally.set(name, (system.tally.get(name) ?? 0) + 1);
}

const markdown = (n: number, salt: number) =>
  new TextEncoder().encode(
    `# Document ${n}.${salt}\n\n${Array.from({ length: 6 + (n % 5) }, (_, p) => `Paragraph ${p} of ${n}.${salt}: Grace Hopper, COBOL and the Harvard Mark I; Ada Lovelace and Charles Babbage.`).join('\n\n')}\n`,
  );

/** Operations the producer refuses during an outage are fine; anything else must not happen. */
function refusedByOutage(error: unknown): boolean {
  return outageOf(error) !== undefined || isAegisError(error, 'QUEUE_UNAVAILABLE');
}

function pick<T>(items: T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

type Command = fc.AsyncCommand<FaultModel, FaultSystem>;

class Ingest implements Command {
  readonly withSource: boolean;
  constructor(withSource: boolean) {
    this.withSource = withSource;
  }
  check = () => true;
  async run(model: FaultModel, system: FaultSystem) {
    model.counter += 1;
    const data = markdown(model.counter, 0);
    const sourceKey = this.withSource ? `/inbox/doc-${model.counter}.md` : undefined;
    const registration = await system.harness.runtime.producer
      .ingest({ data, displayName: `doc-${model.counter}.md`, sourceKey })
      .catch((error: unknown) => {
        if (!refusedByOutage(error)) throw error;
        return undefined;
      });
    count(system, 'ingest');
    if (registration)
      model.documents.set(registration.documentId, {
        sourceKey: sourceKey ?? `upload:${registration.documentId}`,
        bytes: [data],
      });
  }
  toString = () => `Ingest(${this.withSource})`;
}

/** A command on one of the model's documents, chosen by `index` modulo their number. */
abstract class OnDocument implements Command {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
  check = (model: Readonly<FaultModel>) => model.documents.size > 0;
  abstract run(model: FaultModel, system: FaultSystem): Promise<void>;
  toString = () => `${this.constructor.name}(${this.index})`;
}

class IngestSameBytes extends OnDocument {
  async run(model: FaultModel, system: FaultSystem) {
    const [id, doc] = pick([...model.documents.entries()], this.index) ?? [];
    if (!id || !doc) return;
    const data = doc.bytes.at(-1) as Uint8Array;
    const sourceKey = doc.sourceKey.startsWith('upload:') ? undefined : doc.sourceKey;
    const registration = await system.harness.runtime.producer
      .ingest({ data, displayName: 'same.md', sourceKey })
      .catch((error: unknown) => {
        if (!refusedByOutage(error)) throw error;
        return undefined;
      });
    count(system, 'same bytes');
    // Same bytes, same source: the same document, never a second one.
    if (registration && sourceKey !== undefined && registration.documentId !== id)
      throw new Error(`same bytes and source gave document ${registration.documentId}, not ${id}`);
  }
}

class NewVersion implements Command {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
  check = (model: Readonly<FaultModel>) =>
    [...model.documents.values()].some((doc) => !doc.sourceKey.startsWith('upload:'));
  async run(model: FaultModel, system: FaultSystem) {
    const entries = [...model.documents.entries()].filter(([, doc]) => !doc.sourceKey.startsWith('upload:'));
    const [, doc] = pick(entries, this.index) ?? [];
    if (!doc) return;
    model.counter += 1;
    const data = markdown(model.counter, doc.bytes.length);
    await system.harness.runtime.producer
      .ingest({ data, displayName: 'changed.md', sourceKey: doc.sourceKey })
      .then(() => doc.bytes.push(data))
      .catch((error: unknown) => {
        if (!refusedByOutage(error)) throw error;
      });
    count(system, 'new version');
  }
  toString = () => `NewVersion(${this.index})`;
}

class Retry implements Command {
  readonly index: number;
  readonly stage: Stage;
  constructor(index: number, stage: Stage) {
    this.index = index;
    this.stage = stage;
  }
  check = (model: Readonly<FaultModel>) => model.documents.size > 0;
  async run(model: FaultModel, system: FaultSystem) {
    const [id] = pick([...model.documents.entries()], this.index) ?? [];
    if (!id) return;
    const versions = await system.harness.runtime.pipeline.repository.versionsOf(id).catch(() => []);
    const latest = versions.at(-1);
    if (!latest) return;
    await system.harness.runtime.producer.retry(id, latest.version, this.stage).catch((error: unknown) => {
      // Refused for a reason it states (an earlier stage unfinished, a cancelled version), or by an outage.
      if (!isAegisError(error, 'VALIDATION_FAILED') && !refusedByOutage(error)) throw error;
    });
    count(system, 'retry');
  }
  toString = () => `Retry(${this.index}, ${this.stage})`;
}

class Cancel extends OnDocument {
  async run(model: FaultModel, system: FaultSystem) {
    const [id] = pick([...model.documents.entries()], this.index) ?? [];
    if (!id) return;
    const latest = (await system.harness.runtime.pipeline.repository.versionsOf(id).catch(() => [])).at(-1);
    if (!latest) return;
    await system.harness.runtime.producer.cancel(id, latest.version).catch((error: unknown) => {
      if (!refusedByOutage(error)) throw error;
    });
    count(system, 'cancel');
  }
}

class Delete extends OnDocument {
  async run(model: FaultModel, system: FaultSystem) {
    const [id] = pick([...model.documents.entries()], this.index) ?? [];
    if (!id) return;
    const deleted = await system.harness.runtime.producer.delete(id).then(
      () => true,
      (error: unknown) => {
        if (!refusedByOutage(error) && !isAegisError(error, 'DOCUMENT_NOT_FOUND')) throw error;
        return false;
      },
    );
    if (deleted) model.documents.delete(id);
    count(system, 'delete');
  }
}

class KillWorker implements Command {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
  check = () => true;
  async run(_model: FaultModel, system: FaultSystem) {
    const alive = system.workers.filter((worker) => worker.exitCode === null && worker.signalCode === null);
    // Kill mid-call where there is work: slow the next model calls down, wait (briefly) for one to be in flight,
    // and kill the worker whose call intent names it (ADR 016: its row must survive the kill).
    const { sim } = system.harness;
    sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 1_500, times: 2 });
    sim.faults.add({ provider: 'ollama', route: 'chat', latencyMs: 1_500, times: 2 });
    const inFlight = await sim
      .waitForRequest(
        (request) =>
          request.fault !== undefined && request.closedAt === undefined && request.route !== 'tags',
        3_000,
      )
      .catch(() => undefined);
    const holder = inFlight?.clientRequestId
      ? (
          await system.harness.db.pool
            .query<{ holder: string }>('SELECT holder FROM llm_call_intents WHERE id = $1', [
              inFlight.clientRequestId,
            ])
            .catch(() => ({ rows: [] as Array<{ holder: string }> }))
        ).rows[0]?.holder
      : undefined;
    const calling = alive.find((worker) => holder?.endsWith(`:${worker.pid}`));
    const victim = calling ?? pick(alive, this.index);
    if (calling) count(system, 'kill -9 mid-call');
    sim.faults.clear();
    if (victim) {
      const exited = once(victim, 'exit');
      victim.kill('SIGKILL');
      await exited;
    }
    startWorker(system);
    count(system, 'kill -9 worker');
  }
  toString = () => `KillWorker(${this.index})`;
}

class FlushRedis implements Command {
  check = () => true;
  async run(_model: FaultModel, system: FaultSystem) {
    const admin = new Redis(system.redis.url);
    await admin.flushall();
    admin.disconnect();
    count(system, 'redis flushall');
  }
  toString = () => 'FlushRedis';
}

/** A crashed or replaced Redis: connections drop, reconnects are refused for a while, and it returns empty. */
class RestartRedis implements Command {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  check = () => true;
  async run(_model: FaultModel, system: FaultSystem) {
    await system.redis.restart(this.ms);
    count(system, 'redis restarted');
  }
  toString = () => `RestartRedis(${this.ms})`;
}

class StopPostgres implements Command {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  check = () => true;
  async run(_model: FaultModel, system: FaultSystem) {
    await system.postgres.stop('immediate');
    await new Promise((resolve) => setTimeout(resolve, this.ms));
    await system.postgres.start();
    count(system, 'postgres stopped');
  }
  toString = () => `StopPostgres(${this.ms})`;
}

class ProviderFault implements Command {
  readonly kind: 'down' | 'slow';
  readonly ms: number;
  constructor(kind: 'down' | 'slow', ms: number) {
    this.kind = kind;
    this.ms = ms;
  }
  check = () => true;
  async run(_model: FaultModel, system: FaultSystem) {
    const { sim } = system.harness;
    const fault =
      this.kind === 'down'
        ? sim.faults.add({ provider: 'ollama', route: 'embed', status: 503 })
        : sim.faults.add({ provider: 'ollama', route: '*', latencyMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, this.ms));
    void fault;
    sim.faults.clear();
    count(system, `provider ${this.kind}`);
  }
  toString = () => `ProviderFault(${this.kind}, ${this.ms})`;
}

/** The operations and faults of one sequence, weighted so documents exist before they are acted on. */
export function faultCommands(maxCommands: number, options: { postgresStopMs: [number, number] }) {
  return fc.commands(
    [
      fc.boolean().map((withSource) => new Ingest(withSource)),
      fc.boolean().map((withSource) => new Ingest(withSource)),
      fc.nat().map((index) => new IngestSameBytes(index)),
      fc.nat().map((index) => new NewVersion(index)),
      fc.tuple(fc.nat(), fc.constantFrom(...STAGES)).map(([index, stage]) => new Retry(index, stage)),
      fc.nat().map((index) => new Cancel(index)),
      fc.nat().map((index) => new Delete(index)),
      fc.nat().map((index) => new KillWorker(index)),
      fc.constant(new FlushRedis()),
      fc.integer({ min: 200, max: 5_000 }).map((ms) => new RestartRedis(ms)),
      fc
        .integer({ min: options.postgresStopMs[0], max: options.postgresStopMs[1] })
        .map((ms) => new StopPostgres(ms)),
      fc
        .tuple(fc.constantFrom<'down' | 'slow'>('down', 'slow'), fc.integer({ min: 300, max: 3_000 }))
        .map(([kind, ms]) => new ProviderFault(kind, ms)),
    ],
    { maxCommands },
  );
}

/** Invariants after a sequence, once every version is final; returns the violations (empty when none). */
export async function checkInvariants(
  system: FaultSystem,
  model: FaultModel,
  boundMs: number,
): Promise<string[]> {
  const { pool } = system.harness.db;
  const violations: string[] = [];
  const deadline = Date.now() + boundMs;
  let pending: Array<{ document_id: string; version: number; status: string }> = [];
  for (;;) {
    ({ rows: pending } = await pool.query(
      "SELECT document_id, version, status FROM document_versions WHERE status IN ('queued', 'processing', 'cancelling')",
    ));
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  for (const row of pending)
    violations.push(`not final within ${boundMs} ms: ${row.document_id} v${row.version} ${row.status}`);
  if (pending.length > 0) return violations;
  const { pipeline } = system.harness.runtime;
  const { rows: documents } = await pool.query<{ id: string; active_version: number | null }>(
    'SELECT id, active_version FROM documents',
  );
  for (const { id, active_version: active } of documents) {
    const chunks = active === null ? 0 : (await pipeline.repository.loadChunks(id, active)).length;
    const points = await pipeline.vectors.count({ documentId: id });
    const activePoints =
      active === null ? 0 : await pipeline.vectors.count({ documentId: id, version: active });
    if (points !== chunks || activePoints !== chunks)
      violations.push(`${id}: ${points} points (${activePoints} active) for ${chunks} chunks`);
    const graph = await pipeline.graph.counts({ documentId: id });
    if (graph.chunks !== chunks) violations.push(`${id}: ${graph.chunks} graph chunks for ${chunks} chunks`);
  }
  const { rows: orphans } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM document_chunks c JOIN documents d ON d.id = c.document_id
      WHERE d.active_version IS DISTINCT FROM c.version`,
  );
  if ((orphans[0]?.n ?? 0) > 0)
    violations.push(`${orphans[0]?.n} chunk rows of versions that are not active`);
  for (const id of await deletedDocuments(system, model)) {
    if ((await pipeline.vectors.count({ documentId: id })) > 0)
      violations.push(`${id}: points of a deleted document`);
    if ((await pipeline.graph.counts({ documentId: id })).chunks > 0)
      violations.push(`${id}: graph of a deleted document`);
  }
  violations.push(...(await checkLedger(system, deadline)));
  const { rows: budgets } = await pool.query<{ provider: string; over: boolean }>(
    `SELECT m.provider, (m.spent_usd + m.reserved_usd) > l.limit_usd AS over
       FROM llm_budget_months m JOIN llm_budget_limits l ON l.provider = m.provider WHERE l.limit_usd IS NOT NULL`,
  );
  for (const budget of budgets) if (budget.over) violations.push(`budget of ${budget.provider} exceeded`);
  return violations;
}

/**
 * The ledger is the bill (ADR 016): once the intents of killed workers are settled, every request the simulator
 * received on a model route has exactly one ledger row (matched by the ledger id the router sends as
 * X-Client-Request-Id), every request it billed has a row with usage, and the only rows without a request are
 * `reaped` ones (a worker killed between its intent and the request leaving).
 */
export async function checkLedger(system: FaultSystem, deadline: number): Promise<string[]> {
  const { pool } = system.harness.db;
  const { sim } = system.harness;
  let open = 0;
  for (;;) {
    await sim.idle();
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_call_intents');
    open = rows[0]?.n ?? 0;
    if (open === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const violations: string[] = [];
  if (open > 0) violations.push(`${open} call intents not settled`);
  const { rows } = await pool.query<{ id: string; status: string; input_tokens: number }>(
    'SELECT id, status, input_tokens FROM llm_ledger',
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const requests = sim.requests.filter((request) => request.route === 'chat' || request.route === 'embed');
  const requested = new Set<string>();
  for (const request of requests) {
    const id = request.clientRequestId;
    if (id === undefined || !byId.has(id))
      violations.push(`simulator request ${request.id} has no ledger row`);
    else requested.add(id);
  }
  for (const row of rows)
    if (!requested.has(row.id) && row.status !== 'reaped')
      violations.push(`ledger row ${row.id} (${row.status}) names no request the simulator received`);
  for (const entry of sim.billing()) {
    const row = byId.get(entry.clientRequestId ?? '');
    if (row !== undefined && row.input_tokens === 0)
      violations.push(`billed request ${entry.requestId} has a row without usage`);
  }
  return violations;
}

async function deletedDocuments(system: FaultSystem, model: FaultModel): Promise<string[]> {
  const { rows } = await system.harness.db.pool.query<{ id: string }>('SELECT id FROM documents');
  const present = new Set(rows.map((row) => row.id));
  // Documents the system holds points for but the registry no longer has.
  const { rows: points } = await system.harness.db.pool
    .query<{ document_id: string }>('SELECT DISTINCT document_id FROM vector_points')
    .catch(() => ({ rows: [] as Array<{ document_id: string }> }));
  void model;
  return points.map((row) => row.document_id).filter((id) => !present.has(id));
}
