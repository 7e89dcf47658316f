import { AegisError } from '@aegis/core';
import type pg from 'pg';
import { picoToUsd, usdToPico } from '../money.ts';
import type { LedgerStatus } from './accounting.ts';
import { csvRecord } from './csv.ts';
import { utcMonth, utcMonthRange } from './utc-month.ts';

/** Dimensions a cost report can group by, and the ledger column each reads. */
export type CostGroup = 'provider' | 'model' | 'task' | 'document' | 'stage' | 'user' | 'key';

const GROUP_COLUMNS: Readonly<Record<CostGroup, string>> = {
  provider: 'l.provider',
  model: 'l.model',
  task: 'l.task',
  document: 'l.document_id',
  stage: 'l.stage',
  user: 'l.user_id',
  // Who pays: the caller for its own calls (searches), and for pipeline calls the key, CLI user or watcher that
  // ingested the document (documents.created_by).
  key: "coalesce(l.user_id, d.created_by, '(unattributed)')",
};

export interface MonthlyCostsOptions {
  /** `YYYY-MM` (UTC). Default: the current UTC month. */
  month?: string | undefined;
  /** Group columns, in output order; empty = one total row. */
  groupBy: readonly CostGroup[];
  /**
   * Only calls made for documents of these knowledge bases (a scoped key's view: calls without a document, such
   * as searches, are left out). Undefined = every call.
   */
  knowledgeBases?: readonly string[] | undefined;
}

/** Token and cost totals. Token sums are exact up to 2^53; `costUsd` is an exact 12-decimal USD string. */
export interface CostTotals {
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  images: number;
  costUsd: string;
}

/** One group: the requested group keys (null where the ledger column is null) plus totals. */
export type MonthlyCostRow = Partial<Record<CostGroup, string | null>> & CostTotals;

const TOTALS_SQL = `count(*)::bigint AS requests,
       coalesce(sum(input_tokens), 0)::bigint AS input_tokens,
       coalesce(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens,
       coalesce(sum(output_tokens), 0)::bigint AS output_tokens,
       coalesce(sum(images), 0)::bigint AS images,
       coalesce(sum(cost_usd), 0)::numeric(24, 12) AS cost_usd`;

interface TotalsRow {
  requests: string;
  input_tokens: string;
  cached_input_tokens: string;
  output_tokens: string;
  images: string;
  cost_usd: string;
}

/** Cost per group for one UTC calendar month, largest cost first. Uses the (created_at) index. */
export async function monthlyCosts(pool: pg.Pool, options: MonthlyCostsOptions): Promise<MonthlyCostRow[]> {
  const month = options.month ?? utcMonth(new Date());
  const { start, end } = utcMonthRange(month);
  const groups = [...new Set(options.groupBy)];
  for (const group of groups) {
    if (!(group in GROUP_COLUMNS)) {
      throw new AegisError('VALIDATION_FAILED', `cannot group costs by "${group}"`, {
        details: { allowed: Object.keys(GROUP_COLUMNS) },
      });
    }
  }
  // Column names come from GROUP_COLUMNS only, never from the caller.
  const select = groups.map((group) => `${GROUP_COLUMNS[group]} AS "${group}"`);
  const groupBy = groups.length > 0 ? `GROUP BY ${groups.map((_, index) => index + 1).join(', ')}` : '';
  const sql = `
    SELECT ${[...select, TOTALS_SQL].join(',\n       ')}
      FROM llm_ledger l${groups.includes('key') ? ' LEFT JOIN documents d ON d.id = l.document_id' : ''}
     WHERE l.created_at >= $1 AND l.created_at < $2
       AND ($3::text[] IS NULL OR l.document_id IN (SELECT id FROM documents WHERE knowledge_base = ANY($3::text[])))
     ${groupBy}
     ORDER BY cost_usd DESC${groups.map((_, index) => `, ${index + 1}`).join('')}`;
  const { rows } = await pool.query<TotalsRow & Record<string, string | null>>(sql, [
    start,
    end,
    options.knowledgeBases ? [...options.knowledgeBases] : null,
  ]);
  return rows.map((row) => {
    const keys: Partial<Record<CostGroup, string | null>> = {};
    for (const group of groups) keys[group] = row[group] ?? null;
    return { ...keys, ...toTotals(row) };
  });
}

export interface DocumentCost extends CostTotals {
  documentId: string;
  /** Per pipeline stage (null = calls made without a stage), largest cost first. */
  stages: Array<{ stage: string | null } & CostTotals>;
}

/** Everything a document cost, over all months. Uses the partial (document_id) index. */
export async function documentCost(pool: pg.Pool, documentId: string): Promise<DocumentCost> {
  const { rows } = await pool.query<TotalsRow & { stage: string | null }>(
    `SELECT stage, ${TOTALS_SQL}
       FROM llm_ledger
      WHERE document_id = $1
      GROUP BY stage
      ORDER BY cost_usd DESC, stage`,
    [documentId],
  );
  const stages = rows.map((row) => ({ stage: row.stage, ...toTotals(row) }));
  const total: CostTotals = {
    requests: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    images: 0,
    costUsd: '',
  };
  let costPico = 0n;
  for (const stage of stages) {
    total.requests += stage.requests;
    total.inputTokens += stage.inputTokens;
    total.cachedInputTokens += stage.cachedInputTokens;
    total.outputTokens += stage.outputTokens;
    total.images += stage.images;
    costPico += usdToPico(stage.costUsd);
  }
  total.costUsd = picoToUsd(costPico);
  return { documentId, ...total, stages };
}

export interface ExportLedgerOptions {
  /** Inclusive lower bound on `created_at`. Default: no bound. */
  from?: Date | undefined;
  /** Exclusive upper bound on `created_at`. Default: no bound. */
  to?: Date | undefined;
  /**
   * `csv`: RFC 4180 (header row, CRLF line ends, fields with comma/quote/CR/LF quoted, quotes doubled),
   * camelCase header. `json`: one JSON array of camelCase objects (a valid document even when empty). Both
   * formats use the same field names.
   */
  format: 'csv' | 'json';
  /** Rows fetched per round trip from the server-side cursor. Default 1000. */
  batchRows?: number | undefined;
}

/** Export columns, in CSV order. */
const EXPORT_COLUMNS = [
  'id',
  'request_group',
  'attempt',
  'created_at',
  'provider',
  'model',
  'task',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'images',
  'usage_source',
  'cost_usd',
  'price_version',
  'latency_ms',
  'status',
  'error_code',
  'http_status',
  'document_id',
  'stage',
  'user_id',
  'query_hash',
] as const;

type ExportColumn = (typeof EXPORT_COLUMNS)[number];

const camelCase = (column: string): string =>
  column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
type ExportRow = Record<ExportColumn, string | number | null>;

/**
 * Streams the ledger, oldest first, through a server-side cursor (DECLARE/FETCH in a read-only
 * transaction), so memory stays flat however large the month. Yields one chunk of text per fetched batch.
 * Breaking out of the loop early closes the cursor and returns the connection.
 */
export async function* exportLedger(pool: pg.Pool, options: ExportLedgerOptions): AsyncIterable<string> {
  if (options.format !== 'csv' && options.format !== 'json') {
    throw new AegisError(
      'VALIDATION_FAILED',
      `export format must be csv or json, got "${String(options.format)}"`,
    );
  }
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 1000));
  const client = await pool.connect();
  let released = false;
  let inTransaction = false;
  try {
    await client.query('BEGIN READ ONLY');
    inTransaction = true;
    // Text casts keep values exact and stable: created_at as ISO 8601 UTC, cost_usd as 12-decimal string.
    await client.query(
      `DECLARE ledger_export NO SCROLL CURSOR FOR
       SELECT id::text, request_group::text, attempt,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
              provider, model, task, input_tokens, cached_input_tokens, output_tokens, images, usage_source,
              cost_usd::text, price_version, latency_ms, status, error_code, http_status, document_id, stage,
              user_id, query_hash
         FROM llm_ledger
        WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
        ORDER BY created_at, id`,
      [options.from ?? null, options.to ?? null],
    );
    let first = true;
    // One casing for both formats: the CSV header names the JSON fields (camelCase).
    yield options.format === 'csv' ? csvRecord(EXPORT_COLUMNS.map(camelCase)) : '[';
    for (;;) {
      const { rows } = await client.query<ExportRow>(`FETCH ${batchRows} FROM ledger_export`);
      if (rows.length === 0) break;
      if (options.format === 'csv') {
        yield rows.map((row) => csvRecord(EXPORT_COLUMNS.map((column) => row[column]))).join('');
      } else {
        const objects = rows.map((row) => JSON.stringify(toJsonRow(row)));
        yield `${first ? '\n' : ',\n'}${objects.join(',\n')}`;
        first = false;
      }
      if (rows.length < batchRows) break;
    }
    if (options.format === 'json') yield first ? ']\n' : '\n]\n';
    await client.query('COMMIT');
    inTransaction = false;
  } catch (error) {
    released = true;
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw new AegisError('DATABASE_UNAVAILABLE', 'exporting the ledger failed', { cause: error });
  } finally {
    if (!released) {
      // A consumer that stops early leaves the cursor's transaction open: end it before reuse.
      if (inTransaction) await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
  }
}

/** A ledger row as exported in JSON: camelCase keys like `LedgerRow`, money and timestamps as strings. */
export interface ExportedLedgerRow {
  id: string;
  requestGroup: string;
  attempt: number;
  createdAt: string;
  provider: string;
  model: string;
  task: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  images: number;
  usageSource: string;
  costUsd: string;
  priceVersion: string | null;
  latencyMs: number;
  status: LedgerStatus;
  errorCode: string | null;
  httpStatus: number | null;
  documentId: string | null;
  stage: string | null;
  userId: string | null;
  queryHash: string | null;
}

function toJsonRow(row: ExportRow): ExportedLedgerRow {
  return {
    id: row.id as string,
    requestGroup: row.request_group as string,
    attempt: row.attempt as number,
    createdAt: row.created_at as string,
    provider: row.provider as string,
    model: row.model as string,
    task: row.task as string,
    inputTokens: row.input_tokens as number,
    cachedInputTokens: row.cached_input_tokens as number,
    outputTokens: row.output_tokens as number,
    images: row.images as number,
    usageSource: row.usage_source as string,
    costUsd: row.cost_usd as string,
    priceVersion: row.price_version as string | null,
    latencyMs: row.latency_ms as number,
    status: row.status as LedgerStatus,
    errorCode: row.error_code as string | null,
    httpStatus: row.http_status as number | null,
    documentId: row.document_id as string | null,
    stage: row.stage as string | null,
    userId: row.user_id as string | null,
    queryHash: row.query_hash as string | null,
  };
}

function toTotals(row: TotalsRow): CostTotals {
  return {
    requests: Number(row.requests),
    inputTokens: Number(row.input_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    outputTokens: Number(row.output_tokens),
    images: Number(row.images),
    costUsd: row.cost_usd,
  };
}
