import type { CallIntent, LedgerRow } from './accounting.ts';

/**
 * The SQL behind `createPostgresAccounting`. Each operation is one statement (so one implicit
 * transaction and one round trip); the comments say why each is safe under concurrency.
 * Tables are unqualified: they resolve through the connection's `search_path`.
 */

/** The cap a new month row starts with: the stored cap, or 0 when none was ever stored (fail closed). */
function storedCapSql(provider: string): string {
  return `(SELECT CASE WHEN count(*) = 0 THEN 0 ELSE max(limit_usd) END FROM llm_budget_limits WHERE provider = ${provider})`;
}

/** Columns every budget-status statement returns. */
export interface BudgetStatusRow {
  provider: string;
  month: string;
  limit_usd: string | null;
  spent_usd: string;
  reserved_usd: string;
}

/**
 * Reserve. The UPDATE takes the month row's lock; under READ COMMITTED a waiting UPDATE re-evaluates its
 * WHERE against the row version committed by the transaction it waited for, so the limit check always
 * sees the latest spent + reserved and concurrent reserves serialise without overspending.
 * The reservation row is inserted only when the UPDATE matched. When it did not, the second branch
 * reports the row as of the statement's snapshot (good enough for a refusal message and gauges).
 * No row at all = the month row does not exist yet (see ENSURE_MONTH_SQL).
 *
 * $1 provider, $2 month, $3 amount, $4 reservation id, $5 holder, $6 created_at, $7 expires_at,
 * $8 request_group, $9 attempt, $10 model, $11 task, $12 document_id, $13 stage, $14 user_id
 */
export const RESERVE_SQL = `
WITH reserved AS (
  UPDATE llm_budget_months
     SET reserved_usd = reserved_usd + $3::numeric, updated_at = now()
   WHERE provider = $1 AND month = $2
     AND (limit_usd IS NULL OR spent_usd + reserved_usd + $3::numeric <= limit_usd)
  RETURNING provider, month, limit_usd, spent_usd, reserved_usd
), held AS (
  INSERT INTO llm_budget_reservations
    (id, provider, month, amount_usd, holder, created_at, expires_at,
     request_group, attempt, model, task, document_id, stage, user_id, kind)
  SELECT $4::uuid, provider, month, $3::numeric, $5, $6::timestamptz, $7::timestamptz,
         $8::uuid, $9::smallint, $10, $11, $12, $13, $14, $15
    FROM reserved
  RETURNING id
)
SELECT true AS ok, provider, month, limit_usd, spent_usd, reserved_usd FROM reserved
UNION ALL
SELECT false AS ok, provider, month, limit_usd, spent_usd, reserved_usd
  FROM llm_budget_months
 WHERE provider = $1 AND month = $2 AND NOT EXISTS (SELECT 1 FROM reserved)`;

/** Whether an operator ever stored a cap for the provider (a refusal without one says so). $1 provider. */
export const CAP_SET_SQL = 'SELECT EXISTS (SELECT 1 FROM llm_budget_limits WHERE provider = $1) AS set';

/**
 * Creates a provider's month row with the stored cap. A provider without a stored cap gets limit 0: nothing
 * may be spent until an operator sets one (fail closed). Racing creators are fine: ON CONFLICT DO NOTHING.
 * $1 provider, $2 month.
 */
export const ENSURE_MONTH_SQL = `
INSERT INTO llm_budget_months (provider, month, limit_usd)
SELECT $1, $2, ${storedCapSql('$1')}
ON CONFLICT (provider, month) DO NOTHING`;

/**
 * Writes a batch of ledger rows and settles their reservations, in one statement.
 * Exactly-once, even when a batch is retried after an ambiguous failure (e.g. the commit succeeded but
 * the connection died before the reply):
 * - ledger rows: ON CONFLICT (id) DO NOTHING;
 * - a reservation is settled only by the DELETE that removes it; a retry finds it gone and settles nothing.
 *   The first row (by batch position) naming a reservation settles it; its cost moves to spent and
 *   the reserved amount is released;
 * - a row without a reservation adds its cost to its own month only when this statement inserted it.
 * - a row drawn from a budget lease (lease_id) moves its cost from the lease to spent, once: only when this
 *   statement inserted the row; the lease row's amount shrinks by the same cost.
 * A row whose reservation or lease no longer exists (reaped) adds nothing: the reaper already charged
 * everything the reservation still held.
 * Month rows are upserted in (provider, month) order, so concurrent flushes lock them in the same order.
 */
export const FLUSH_SQL = `
WITH input AS (
  SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::smallint[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
    $8::int[], $9::int[], $10::int[], $11::int[], $12::text[], $13::numeric[], $14::text[], $15::int[],
    $16::text[], $17::text[], $18::smallint[], $19::text[], $20::text[], $21::text[], $22::text[],
    $23::uuid[], $24::text[], $25::uuid[], $26::int[]
  ) WITH ORDINALITY AS t(
    id, request_group, attempt, created_at, provider, model, task, input_tokens, cached_input_tokens,
    output_tokens, images, usage_source, cost_usd, price_version, latency_ms, status, error_code,
    http_status, document_id, stage, user_id, query_hash, reservation_id, month, lease_id, reasoning_tokens,
    position)
), inserted AS (
  INSERT INTO llm_ledger (
    id, request_group, attempt, created_at, provider, model, task, input_tokens, cached_input_tokens,
    output_tokens, reasoning_tokens, images, usage_source, cost_usd, price_version, latency_ms, status,
    error_code, http_status, document_id, stage, user_id, query_hash)
  SELECT id, request_group, attempt, created_at, provider, model, task, input_tokens, cached_input_tokens,
         output_tokens, reasoning_tokens, images, usage_source, cost_usd, price_version, latency_ms, status,
         error_code, http_status, document_id, stage, user_id, query_hash
    FROM input
   ORDER BY position
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), settled_intents AS (
  -- The attempt's intent (written before dispatch) is settled by its row, whether this statement or the
  -- reaper wrote that row.
  DELETE FROM llm_call_intents c USING input i WHERE c.id = i.id
), settled AS (
  DELETE FROM llm_budget_reservations r
   USING input i
   WHERE r.id = i.reservation_id
  RETURNING r.id, r.provider, r.month, r.amount_usd
), settling_rows AS (
  SELECT DISTINCT ON (reservation_id) reservation_id, cost_usd
    FROM input
   WHERE reservation_id IS NOT NULL
   ORDER BY reservation_id, position
), lease_costs AS (
  SELECT i.lease_id, sum(i.cost_usd) AS cost
    FROM (SELECT DISTINCT ON (id) * FROM input ORDER BY id, position) i
    JOIN inserted n ON n.id = i.id
   WHERE i.lease_id IS NOT NULL
   GROUP BY i.lease_id
), leased AS (
  UPDATE llm_budget_reservations r
     SET amount_usd = greatest(r.amount_usd - c.cost, 0)
    FROM lease_costs c
   WHERE r.id = c.lease_id
  RETURNING r.provider, r.month, c.cost
), deltas AS (
  SELECT provider, month, sum(spent) AS spent, sum(released) AS released
    FROM (
      SELECT s.provider, s.month, r.cost_usd AS spent, s.amount_usd AS released
        FROM settled s JOIN settling_rows r ON r.reservation_id = s.id
      UNION ALL
      -- A call drawn from a lease: its cost moves from the lease (reserved) to spent.
      SELECT provider, month, cost, cost FROM leased
      UNION ALL
      SELECT i.provider, i.month, i.cost_usd, 0
        FROM (SELECT DISTINCT ON (id) * FROM input ORDER BY id, position) i
        JOIN inserted n ON n.id = i.id
       WHERE i.reservation_id IS NULL AND i.lease_id IS NULL AND i.cost_usd > 0
    ) AS changes
   GROUP BY provider, month
)
INSERT INTO llm_budget_months AS m (provider, month, limit_usd, spent_usd)
SELECT d.provider, d.month, ${storedCapSql('d.provider')}, d.spent
  FROM deltas d
 ORDER BY d.provider, d.month
ON CONFLICT (provider, month) DO UPDATE
   SET spent_usd = m.spent_usd + excluded.spent_usd,
       -- GREATEST: a drifted total must not fail the CHECK and wedge every later batch behind it.
       reserved_usd = greatest(
         m.reserved_usd - (SELECT d.released FROM deltas d WHERE d.provider = m.provider AND d.month = m.month),
         0),
       updated_at = now()
RETURNING m.provider, m.month, m.limit_usd, m.spent_usd, m.reserved_usd`;

/** Column arrays for INTENTS_SQL's unnest, in parameter order. */
export function intentParams(
  batch: ReadonlyArray<{
    intent: CallIntent;
    expiresAt: Date;
    reservation: { id: string; kind: 'call' | 'lease' } | undefined;
  }>,
): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 20 }, () => []);
  for (const { intent, expiresAt, reservation } of batch) {
    const values = [
      intent.id,
      intent.requestGroup,
      intent.attempt,
      intent.createdAt.toISOString(),
      expiresAt.toISOString(),
      intent.holder,
      intent.provider,
      intent.model,
      intent.task,
      intent.inputTokens,
      intent.outputTokens,
      intent.images,
      intent.costUsd,
      intent.priceVersion,
      reservation?.id ?? null,
      reservation?.kind ?? null,
      intent.documentId ?? null,
      intent.stage ?? null,
      intent.userId ?? null,
      intent.queryHash ?? null,
    ];
    for (const [index, value] of values.entries()) columns[index]?.push(value);
  }
  return columns;
}

/** One queued ledger row with what the flush needs besides the row. */
export interface QueuedRow {
  row: LedgerRow;
  reservationId: string | undefined;
  /** The budget lease the call was drawn from (then `reservationId` is undefined). */
  leaseId: string | undefined;
  /** UTC month the row's cost is charged to when it has no reservation (`YYYY-MM` of createdAt). */
  month: string;
}

/** Column arrays for FLUSH_SQL's unnest, in parameter order. */
export function flushParams(batch: readonly QueuedRow[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 26 }, () => []);
  for (const { row, reservationId, leaseId, month } of batch) {
    const values = [
      row.id,
      row.requestGroup,
      row.attempt,
      row.createdAt.toISOString(),
      row.provider,
      row.model,
      row.task,
      row.inputTokens,
      row.cachedInputTokens,
      row.outputTokens,
      row.images,
      row.usageSource,
      row.costUsd,
      row.priceVersion,
      row.latencyMs,
      row.status,
      row.errorCode ?? null,
      row.httpStatus ?? null,
      row.documentId ?? null,
      row.stage ?? null,
      row.userId ?? null,
      row.queryHash ?? null,
      reservationId ?? null,
      month,
      leaseId ?? null,
      row.reasoningTokens ?? 0,
    ];
    for (const [index, value] of values.entries()) columns[index]?.push(value);
  }
  return columns;
}

/**
 * Settles expired reservations at their full amount: the holder is presumed crashed, its call may have
 * been billed, and charging the worst case keeps the budget safe. One `reaped` ledger row per
 * reservation, attributed from the reservation's context. SKIP LOCKED: a reservation a flush is
 * settling right now is left to that flush (and a second reaper skips what the first is reaping).
 * $1 now, $2 batch size.
 */
export const REAP_SQL = `
WITH expired AS (
  SELECT id FROM llm_budget_reservations
   WHERE expires_at < $1::timestamptz
   ORDER BY expires_at
   LIMIT $2
   FOR UPDATE SKIP LOCKED
), reaped AS (
  DELETE FROM llm_budget_reservations r USING expired e
   WHERE r.id = e.id
  RETURNING r.*
), ledger AS (
  INSERT INTO llm_ledger (
    id, request_group, attempt, created_at, provider, model, task, usage_source, cost_usd, price_version,
    latency_ms, status, document_id, stage, user_id)
  SELECT gen_random_uuid(), coalesce(request_group, gen_random_uuid()), coalesce(attempt, 1), created_at,
         provider, coalesce(model, 'unknown'), coalesce(task, 'generation'), 'estimated', amount_usd, NULL,
         least(greatest(floor(extract(epoch FROM ($1::timestamptz - created_at)) * 1000), 0), 2147483647)::int,
         'reaped', document_id, stage, user_id
    FROM reaped
  RETURNING id
), deltas AS (
  SELECT provider, month, sum(amount_usd) AS amount, count(*) AS reaped
    FROM reaped
   GROUP BY provider, month
)
UPDATE llm_budget_months m
   SET spent_usd = m.spent_usd + d.amount,
       reserved_usd = greatest(m.reserved_usd - d.amount, 0),
       updated_at = now()
  FROM deltas d
 WHERE m.provider = d.provider AND m.month = d.month
RETURNING m.provider, m.month, m.limit_usd, m.spent_usd, m.reserved_usd, d.reaped::int AS reaped`;

/**
 * Every provider's current month: month rows, plus providers with a configured limit and no month row
 * yet (nothing spent). $1 month.
 */
export const STATUS_SQL = `
SELECT coalesce(m.provider, l.provider) AS provider,
       $1::text AS month,
       CASE WHEN m.provider IS NULL THEN l.limit_usd ELSE m.limit_usd END AS limit_usd,
       coalesce(m.spent_usd, 0)::numeric(24, 12) AS spent_usd,
       coalesce(m.reserved_usd, 0)::numeric(24, 12) AS reserved_usd
  FROM (SELECT * FROM llm_budget_months WHERE month = $1) m
  FULL JOIN llm_budget_limits l ON l.provider = m.provider
 ORDER BY 1`;

/**
 * Writes call intents (ADR 016), one statement for every intent queued meanwhile. Idempotent on the id.
 * The intent must outlive the *worker* (kill -9), not a crash of Postgres itself, so its commit does not wait for
 * the WAL flush (`synchronous_commit = off` for this transaction only, set in the same statement): once the
 * statement returns the row is visible to every other session and survives the worker; only a Postgres crash
 * within a fraction of a second could lose it.
 */
export const INTENTS_SQL = `
WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true))
INSERT INTO llm_call_intents (
  id, request_group, attempt, created_at, expires_at, holder, provider, model, task, input_tokens,
  output_tokens, images, cost_usd, price_version, reservation_id, reservation_kind, document_id, stage,
  user_id, query_hash)
SELECT i.* FROM unnest(
  $1::uuid[], $2::uuid[], $3::smallint[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::int[], $11::int[], $12::int[], $13::numeric[], $14::text[], $15::uuid[],
  $16::text[], $17::text[], $18::text[], $19::text[], $20::text[]) AS i, no_flush_wait
ON CONFLICT (id) DO NOTHING`;

/** Holders of open intents whose name starts with this host's name, to check which are dead. $1 prefix. */
export const INTENT_HOLDERS_SQL = `SELECT DISTINCT holder FROM llm_call_intents WHERE starts_with(holder, $1)`;

/**
 * Settles intents their holder left behind: the holder is dead ($3), the intent's ttl passed, or the
 * reservation it drew on expired (that reservation is about to be reaped: its intents go first, so their
 * estimate is charged once, here). Each becomes a `reaped` ledger row under the intent's id with the
 * intent's estimate (`estimated`), unless the attempt's own row got there first. Money: an own reservation
 * is deleted, its amount released and the estimate (at most that amount) spent; a lease gives the estimate
 * from its amount to spent; a free call moves nothing. SKIP LOCKED, as in REAP_SQL.
 * $1 now, $2 batch size, $3 dead holders.
 */
export const REAP_INTENTS_SQL = `
WITH expired AS (
  SELECT c.id FROM llm_call_intents c
   WHERE c.expires_at < $1::timestamptz
      OR c.holder = ANY($3::text[])
      OR EXISTS (SELECT 1 FROM llm_budget_reservations r
                  WHERE r.id = c.reservation_id AND r.expires_at < $1::timestamptz)
   ORDER BY c.created_at
   LIMIT $2
   FOR UPDATE SKIP LOCKED
), reaped AS (
  DELETE FROM llm_call_intents c USING expired e WHERE c.id = e.id
  RETURNING c.*
), ledger AS (
  INSERT INTO llm_ledger (
    id, request_group, attempt, created_at, provider, model, task, input_tokens, output_tokens, images,
    usage_source, cost_usd, price_version, latency_ms, status, error_code, document_id, stage, user_id,
    query_hash)
  SELECT id, request_group, attempt, created_at, provider, model, task, input_tokens, output_tokens, images,
         'estimated', cost_usd, price_version,
         least(greatest(floor(extract(epoch FROM ($1::timestamptz - created_at)) * 1000), 0), 2147483647)::int,
         'reaped', 'WORKER_DIED', document_id, stage, user_id, query_hash
    FROM reaped
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), charged AS (
  SELECT r.* FROM reaped r JOIN ledger l ON l.id = r.id
), calls AS (
  DELETE FROM llm_budget_reservations b USING charged c
   WHERE b.id = c.reservation_id AND c.reservation_kind = 'call' AND b.kind = 'call'
  RETURNING b.provider, b.month, c.cost_usd AS spent, b.amount_usd AS released
), lease_costs AS (
  SELECT reservation_id, sum(cost_usd) AS cost FROM charged
   WHERE reservation_kind = 'lease' GROUP BY reservation_id
), leased AS (
  UPDATE llm_budget_reservations b
     SET amount_usd = greatest(b.amount_usd - c.cost, 0)
    FROM lease_costs c
   WHERE b.id = c.reservation_id AND b.kind = 'lease'
  RETURNING b.provider, b.month, c.cost
), deltas AS (
  SELECT provider, month, sum(spent) AS spent, sum(released) AS released
    FROM (SELECT provider, month, spent, released FROM calls
          UNION ALL SELECT provider, month, cost, cost FROM leased) AS changes
   GROUP BY provider, month
), months AS (
  UPDATE llm_budget_months m
     SET spent_usd = m.spent_usd + d.spent,
         reserved_usd = greatest(m.reserved_usd - d.released, 0),
         updated_at = now()
    FROM deltas d
   WHERE m.provider = d.provider AND m.month = d.month
  RETURNING m.provider, m.month, m.limit_usd, m.spent_usd, m.reserved_usd
)
SELECT (SELECT count(*)::int FROM reaped) AS reaped,
       coalesce((SELECT json_agg(json_build_object(
                  'provider', provider, 'month', month, 'limit_usd', limit_usd::text,
                  'spent_usd', spent_usd::text, 'reserved_usd', reserved_usd::text)) FROM months),
                '[]'::json) AS months`;

/**
 * Releases retired budget leases, and reservations whose request was never sent: deletes their rows and frees
 * what they still held. Leases are released only after every row drawn from them has been flushed (the caller
 * orders it), so nothing is released twice. $1 reservation ids.
 */
export const RELEASE_LEASES_SQL = `
WITH released AS (
  DELETE FROM llm_budget_reservations WHERE id = ANY($1::uuid[])
  RETURNING provider, month, amount_usd
), deltas AS (
  SELECT provider, month, sum(amount_usd) AS amount FROM released GROUP BY provider, month
)
UPDATE llm_budget_months m
   SET reserved_usd = greatest(m.reserved_usd - d.amount, 0), updated_at = now()
  FROM deltas d
 WHERE m.provider = d.provider AND m.month = d.month
RETURNING m.provider, m.month, m.limit_usd, m.spent_usd, m.reserved_usd`;
