import { AegisError } from '@aegis/core';
import type pg from 'pg';
import { picoToUsd, usdToPico } from '../money.ts';
import { type SessionTimeouts, toAegisError, withSession } from './pg-session.ts';
import { utcMonth } from './utc-month.ts';

/** Who changes a cap: written to `llm_budget_limits.updated_by` and to the audit log. */
export interface CapActor {
  /** The surface the change came through. */
  source: 'cli' | 'migrate' | 'api';
  /** A person or key name, e.g. `alice@ops-host` (CLI) or the API key's name. */
  name: string;
  /** The API key id when the change came through the HTTP API. */
  keyId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** One provider's cap and what this calendar month (UTC) has used of it. */
export interface BudgetCap {
  provider: string;
  /** USD with 12 decimals; `null` = unlimited (set so on purpose). */
  limitUsd: string | null;
  /** False for a provider no cap was ever stored for: it may spend nothing (fail closed). */
  limitSet: boolean;
  month: string;
  spentUsd: string;
  reservedUsd: string;
  updatedAt: Date | null;
  updatedBy: string | null;
  reason: string | null;
}

export interface CapChange {
  provider: string;
  /** A USD decimal with at most 6 decimals, or `null` for unlimited. See {@link parseCapUsd}. */
  limitUsd: string | null;
  actor: CapActor;
  /** Why, in the operator's words; stored and audited. At most 500 characters. */
  reason?: string | undefined;
}

export interface CapChangeResult {
  provider: string;
  from: string | null;
  to: string | null;
  /** False when the cap already had this value: nothing was written, nothing audited. */
  changed: boolean;
  /** Whether a cap had been stored before this change. */
  wasSet: boolean;
}

/** Logger subset the caps module reports changes to. */
export interface CapLogger {
  warn(object: object, message: string): void;
}

export interface BudgetCapsOptions {
  pool: pg.Pool;
  /** Provider names a cap may be set for (the configured paid providers); any valid name when omitted. */
  providers?: readonly string[] | undefined;
  logger?: CapLogger | undefined;
  /** Clock for the current month. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
}

/**
 * Budget caps, changed only on purpose. A process start never writes a cap: the router reads the caps in
 * Postgres, so every process enforces the same one. A change runs in one transaction that updates the cap,
 * the current month's row and writes an `audit_log` row, so no cap changes without its audit trail.
 */
export interface BudgetCaps {
  list(): Promise<BudgetCap[]>;
  set(change: CapChange): Promise<CapChangeResult>;
  /**
   * Applies configured caps (e.g. the `BUDGET_<P>_MONTHLY_USD` variables `aegis migrate` reads). `undefined`
   * means "not configured here": that provider's stored cap is left alone.
   */
  applyConfigured(
    configured: Readonly<Record<string, string | null | undefined>>,
    actor: CapActor,
  ): Promise<CapChangeResult[]>;
}

const PROVIDER = /^[a-z0-9-]{1,64}$/;
const CAP = /^\d{1,12}(\.\d{1,6})?$/;
const MAX_REASON = 500;
const TIMEOUTS: SessionTimeouts = { connectTimeoutMs: 5_000, queryTimeoutMs: 10_000 };

/**
 * Parses an operator's cap: `unlimited` (case-insensitive) is `null`; otherwise a USD amount with at most 6
 * decimals (the price table's precision), returned with 12 decimals.
 * @throws AegisError `VALIDATION_FAILED`
 */
export function parseCapUsd(text: string): string | null {
  const value = text.trim();
  if (value.toLowerCase() === 'unlimited') return null;
  if (!CAP.test(value)) {
    throw new AegisError(
      'VALIDATION_FAILED',
      `a budget cap is a USD amount with at most 6 decimals (e.g. 20 or 1.60) or "unlimited", got "${text}"`,
      { details: { value: text } },
    );
  }
  return picoToUsd(usdToPico(value));
}

interface CapRow {
  provider: string;
  limit_usd: string | null;
  limit_set: boolean;
  spent_usd: string;
  reserved_usd: string;
  updated_at: Date | null;
  updated_by: string | null;
  reason: string | null;
}

const LIST_SQL = `
SELECT coalesce(l.provider, m.provider) AS provider,
       CASE WHEN l.provider IS NULL THEN coalesce(m.limit_usd, 0) ELSE l.limit_usd END AS limit_usd,
       l.provider IS NOT NULL AS limit_set,
       coalesce(m.spent_usd, 0)::numeric(24, 12) AS spent_usd,
       coalesce(m.reserved_usd, 0)::numeric(24, 12) AS reserved_usd,
       l.updated_at, l.updated_by, l.reason
  FROM llm_budget_limits l
  FULL JOIN (SELECT * FROM llm_budget_months WHERE month = $1) m ON m.provider = l.provider
 ORDER BY 1`;

export function createBudgetCaps(options: BudgetCapsOptions): BudgetCaps {
  const { pool } = options;
  const now = options.now ?? (() => new Date());

  async function set(change: CapChange): Promise<CapChangeResult> {
    if (!PROVIDER.test(change.provider)) {
      throw new AegisError(
        'VALIDATION_FAILED',
        `provider "${change.provider}" must be a lower-case provider name like openai or dashscope`,
        { details: { provider: change.provider } },
      );
    }
    if (options.providers && !options.providers.includes(change.provider)) {
      throw new AegisError(
        'VALIDATION_FAILED',
        `"${change.provider}" is not a paid provider; budget caps apply to ${options.providers.join(', ')} (local Ollama is free)`,
        { details: { provider: change.provider } },
      );
    }
    const to = change.limitUsd === null ? null : parseCapUsd(change.limitUsd);
    const reason = change.reason?.trim().slice(0, MAX_REASON) || null;
    const month = utcMonth(now());
    const { actor } = change;
    const result = await withSession(pool, TIMEOUTS, async (query) => {
      await query('BEGIN');
      try {
        // Serialises changes of one provider's cap, also the very first one (no row to lock yet), so the
        // audited "from" is always the value the change replaced.
        await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`aegis:budget-cap:${change.provider}`]);
        const previous = await query<{ limit_usd: string | null }>(
          'SELECT limit_usd FROM llm_budget_limits WHERE provider = $1',
          [change.provider],
        );
        const wasSet = previous.rows.length > 0;
        const from = previous.rows[0]?.limit_usd ?? null;
        if (wasSet && from === to) {
          await query('COMMIT');
          return { provider: change.provider, from, to, changed: false, wasSet };
        }
        await query(
          `INSERT INTO llm_budget_limits (provider, limit_usd, updated_at, updated_by, reason)
           VALUES ($1, $2::numeric, now(), $3, $4)
           ON CONFLICT (provider) DO UPDATE
              SET limit_usd = excluded.limit_usd, updated_at = now(),
                  updated_by = excluded.updated_by, reason = excluded.reason`,
          [change.provider, to, `${actor.source}:${actor.name}`, reason],
        );
        // The current month enforces the new cap at once; later months copy it when they start.
        await query(
          `INSERT INTO llm_budget_months AS m (provider, month, limit_usd) VALUES ($1, $2, $3::numeric)
           ON CONFLICT (provider, month) DO UPDATE SET limit_usd = excluded.limit_usd, updated_at = now()`,
          [change.provider, month, to],
        );
        await query(
          `INSERT INTO audit_log (key_id, key_name, action, target, ip, user_agent, status, details)
           VALUES ($1, $2, 'budget.set', $3, $4, $5, 200, $6)`,
          [
            actor.keyId ?? null,
            actor.name.slice(0, 200),
            change.provider,
            actor.ip ?? null,
            (actor.userAgent ?? `aegis-${actor.source}`).slice(0, 1_000),
            JSON.stringify({ from: wasSet ? from : 'not set', to, month, source: actor.source, reason }),
          ],
        );
        await query('COMMIT');
        return { provider: change.provider, from, to, changed: true, wasSet };
      } catch (error) {
        await query('ROLLBACK').catch(() => {});
        throw error;
      }
    }).catch((error: unknown) => {
      throw toAegisError(
        error,
        'DATABASE_UNAVAILABLE',
        `changing the budget cap of ${change.provider} failed`,
      );
    });
    if (result.changed) {
      options.logger?.warn(
        {
          provider: result.provider,
          from: result.from,
          to: result.to,
          actor: actor.name,
          source: actor.source,
        },
        `budget cap of ${result.provider} changed from ${formatCap(result.from, result.wasSet)} to ${formatCap(result.to, true)} by ${actor.source}:${actor.name}`,
      );
    }
    return result;
  }

  return {
    async list() {
      try {
        const rows = await withSession(pool, TIMEOUTS, async (query) => {
          const result = await query<CapRow>(LIST_SQL, [utcMonth(now())]);
          return result.rows;
        });
        const month = utcMonth(now());
        return rows.map((row) => ({
          provider: row.provider,
          limitUsd: row.limit_usd,
          limitSet: row.limit_set,
          month,
          spentUsd: row.spent_usd,
          reservedUsd: row.reserved_usd,
          updatedAt: row.updated_at,
          updatedBy: row.updated_by,
          reason: row.reason,
        }));
      } catch (error) {
        throw toAegisError(error, 'DATABASE_UNAVAILABLE', 'reading budget caps failed');
      }
    },

    set,

    async applyConfigured(configured, actor) {
      const results: CapChangeResult[] = [];
      for (const [provider, limitUsd] of Object.entries(configured)) {
        if (limitUsd === undefined) continue;
        results.push(await set({ provider, limitUsd, actor, reason: 'configured BUDGET_*_MONTHLY_USD' }));
      }
      return results;
    },
  };
}

/** `12.500000000000` -> `$12.5`; null -> `unlimited`. */
export function formatCap(limitUsd: string | null, set: boolean): string {
  if (!set) return 'not set';
  if (limitUsd === null) return 'unlimited';
  const [whole, fraction = ''] = limitUsd.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `$${whole}${trimmed ? `.${trimmed}` : ''}`;
}
