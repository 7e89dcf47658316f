import { randomBytes } from 'node:crypto';
import type { CompletionEventData } from '@aegis/core';
import type pg from 'pg';
import { inTransaction } from '../registry/sql-helpers.ts';

/** One outbox row (ADR 018); `id` orders events (SSE `Last-Event-ID`, replay). */
export interface CompletionEvent extends CompletionEventData {
  id: number;
  /** `document.<final status>` or `stage.failed`. */
  type: string;
  createdAt: Date;
}

export interface WebhookRecord {
  id: string;
  url: string;
  /** `null`: every knowledge base. */
  knowledgeBase: string | null;
  /** Empty: every type. */
  eventTypes: string[];
  description: string | null;
  createdAt: Date;
}

export interface DeliveryRecord {
  eventId: number;
  webhookId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  replays: number;
  createdAt: Date;
  updatedAt: Date;
  /** Every attempt, oldest first. */
  log: Array<{
    attempt: number;
    replay: number;
    outcome: 'succeeded' | 'failed' | 'duplicate';
    responseCode: number | null;
    durationMs: number;
    error: string | null;
    at: Date;
  }>;
}

/** A delivery to run: the BullMQ job carries exactly this. */
export interface DeliveryKey {
  eventId: number;
  webhookId: string;
  replay: number;
}

/** What the delivery job needs: the event, where to send it and with which key to sign. */
export interface DeliveryTarget {
  event: CompletionEvent;
  url: string;
  secret: string;
  status: DeliveryRecord['status'];
  replays: number;
}

export interface WebhookStore {
  create(input: {
    url: string;
    knowledgeBase: string | null;
    eventTypes?: string[] | undefined;
    description?: string | undefined;
  }): Promise<{ webhook: WebhookRecord; secret: string }>;
  /** Webhooks visible to a scope: `undefined` = all; otherwise only those of the listed bases (no global ones). */
  list(scope?: readonly string[] | undefined): Promise<WebhookRecord[]>;
  get(id: string, scope?: readonly string[] | undefined): Promise<WebhookRecord | undefined>;
  remove(id: string): Promise<boolean>;
  /** Deliveries of one webhook, newest event first, with their attempt log. */
  deliveries(webhookId: string, options?: { limit?: number; eventId?: number }): Promise<DeliveryRecord[]>;
  /** Events after `afterId`, oldest first (SSE resume), limited to a scope when given. */
  eventsAfter(
    afterId: number,
    limit: number,
    scope?: readonly string[] | undefined,
  ): Promise<CompletionEvent[]>;
  /** The newest event id (0 when none). */
  lastEventId(): Promise<number>;
  /**
   * Claims undispatched events (skipping those another dispatcher holds), creates one delivery per subscribed
   * webhook and marks them dispatched, in one transaction. Returns the deliveries to enqueue.
   */
  dispatch(limit: number): Promise<DeliveryKey[]>;
  /** Pending deliveries untouched for `olderThanMs` (their job may have been lost): enqueue them again. */
  stalePending(olderThanMs: number, limit: number): Promise<DeliveryKey[]>;
  /**
   * Deletes up to `limit` dispatched events older than `olderThanDays` none of whose deliveries is pending, with
   * their deliveries and attempts (cascade). Returns how many events went.
   */
  pruneEvents(olderThanDays: number, limit: number): Promise<number>;
  /**
   * Marks deliveries for another round (a replay): for one event, or every event from `fromEventId` on that the
   * webhook received or should have. Returns the keys to enqueue.
   */
  replay(
    webhookId: string,
    selection: { eventId: number } | { fromEventId: number; limit: number },
  ): Promise<DeliveryKey[]>;
  target(key: DeliveryKey): Promise<DeliveryTarget | undefined>;
  /** Records one attempt; a success also settles the delivery. False when a success of this round was already recorded. */
  recordAttempt(
    key: DeliveryKey,
    attempt: {
      outcome: 'succeeded' | 'failed';
      responseCode: number | null;
      durationMs: number;
      error: string | null;
      final: boolean;
    },
  ): Promise<boolean>;
}

interface EventRow {
  id: string;
  type: string;
  document_id: string;
  version: number;
  knowledge_base: string;
  stage: string | null;
  status: string;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
}

const EVENT_COLUMNS =
  'e.id, e.type, e.document_id, e.version, e.knowledge_base, e.stage, e.status, e.error_code, e.error_message, e.created_at';

function toEvent(row: EventRow): CompletionEvent {
  return {
    id: Number(row.id),
    type: row.type,
    documentId: row.document_id,
    version: row.version,
    knowledgeBase: row.knowledge_base,
    stage: row.stage,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: row.created_at,
  };
}

interface WebhookRow {
  id: string;
  url: string;
  knowledge_base: string | null;
  event_types: string[];
  description: string | null;
  created_at: Date;
}

function toWebhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    knowledgeBase: row.knowledge_base,
    eventTypes: row.event_types,
    description: row.description,
    createdAt: row.created_at,
  };
}

/** `e` (events) matches webhook `w`: its base (or global) and its types (or all), and newer than the webhook. */
const SUBSCRIBED_SQL = `(w.knowledge_base IS NULL OR w.knowledge_base = e.knowledge_base)
  AND (cardinality(w.event_types) = 0 OR e.type = ANY (w.event_types))
  AND e.id > w.after_event_id`;

/** The webhook registry, the outbox reader and the delivery log (ADR 018). */
export function createWebhookStore(pool: pg.Pool): WebhookStore {
  const key = (row: { event_id: string; webhook_id: string; replays: number }): DeliveryKey => ({
    eventId: Number(row.event_id),
    webhookId: row.webhook_id,
    replay: row.replays,
  });
  return {
    async create(input) {
      const id = `wh_${randomBytes(8).toString('hex')}`;
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const { rows } = await pool.query<WebhookRow>(
        `INSERT INTO webhooks (id, url, knowledge_base, event_types, secret, description, after_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(id), 0) FROM events))
         RETURNING id, url, knowledge_base, event_types, description, created_at`,
        [id, input.url, input.knowledgeBase, input.eventTypes ?? [], secret, input.description ?? null],
      );
      return { webhook: toWebhook(rows[0] as WebhookRow), secret };
    },

    async list(scope) {
      const { rows } = await pool.query<WebhookRow>(
        `SELECT id, url, knowledge_base, event_types, description, created_at FROM webhooks
          WHERE $1::text[] IS NULL OR knowledge_base = ANY ($1::text[]) ORDER BY created_at, id`,
        [scope ?? null],
      );
      return rows.map(toWebhook);
    },

    async get(id, scope) {
      const { rows } = await pool.query<WebhookRow>(
        `SELECT id, url, knowledge_base, event_types, description, created_at FROM webhooks
          WHERE id = $1 AND ($2::text[] IS NULL OR knowledge_base = ANY ($2::text[]))`,
        [id, scope ?? null],
      );
      return rows[0] ? toWebhook(rows[0]) : undefined;
    },

    async remove(id) {
      const result = await pool.query('DELETE FROM webhooks WHERE id = $1', [id]);
      return (result.rowCount ?? 0) > 0;
    },

    async deliveries(webhookId, options = {}) {
      const { rows } = await pool.query<{
        event_id: string;
        webhook_id: string;
        type: string;
        status: DeliveryRecord['status'];
        attempts: number;
        replays: number;
        created_at: Date;
        updated_at: Date;
        log: Array<{
          attempt: number;
          replay: number;
          outcome: 'succeeded' | 'failed' | 'duplicate';
          response_code: number | null;
          duration_ms: number;
          error: string | null;
          at: string;
        }>;
      }>(
        `SELECT d.event_id, d.webhook_id, e.type, d.status, d.attempts, d.replays, d.created_at, d.updated_at,
                coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'replay', a.replay,
                                   'outcome', a.outcome, 'response_code', a.response_code,
                                   'duration_ms', a.duration_ms, 'error', a.error, 'at', a.created_at) ORDER BY a.id)
                            FROM webhook_delivery_attempts a
                           WHERE a.event_id = d.event_id AND a.webhook_id = d.webhook_id), '[]') AS log
           FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.event_id = $2)
          ORDER BY d.event_id DESC LIMIT $3`,
        [webhookId, options.eventId ?? null, options.limit ?? 100],
      );
      return rows.map((row) => ({
        eventId: Number(row.event_id),
        webhookId: row.webhook_id,
        eventType: row.type,
        status: row.status,
        attempts: row.attempts,
        replays: row.replays,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        log: row.log.map((entry) => ({
          attempt: entry.attempt,
          replay: entry.replay,
          outcome: entry.outcome,
          responseCode: entry.response_code,
          durationMs: entry.duration_ms,
          error: entry.error,
          at: new Date(entry.at),
        })),
      }));
    },

    async eventsAfter(afterId, limit, scope) {
      const { rows } = await pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e
          WHERE e.id > $1 AND ($2::text[] IS NULL OR e.knowledge_base = ANY ($2::text[]))
          ORDER BY e.id LIMIT $3`,
        [afterId, scope ?? null, limit],
      );
      return rows.map(toEvent);
    },

    async lastEventId() {
      const { rows } = await pool.query<{ id: string | null }>('SELECT max(id) AS id FROM events');
      return Number(rows[0]?.id ?? 0);
    },

    async dispatch(limit) {
      return inTransaction(pool, async (client) => {
        const { rows: claimed } = await client.query<{ id: string }>(
          `SELECT id FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [limit],
        );
        if (claimed.length === 0) return [];
        const ids = claimed.map((row) => row.id);
        const { rows } = await client.query<{ event_id: string; webhook_id: string; replays: number }>(
          `INSERT INTO webhook_deliveries (event_id, webhook_id)
           SELECT e.id, w.id FROM events e JOIN webhooks w ON ${SUBSCRIBED_SQL}
            WHERE e.id = ANY ($1::bigint[])
           ON CONFLICT DO NOTHING
           RETURNING event_id, webhook_id, replays`,
          [ids],
        );
        await client.query('UPDATE events SET dispatched_at = now() WHERE id = ANY ($1::bigint[])', [ids]);
        return rows.map(key);
      });
    },

    async pruneEvents(olderThanDays, limit) {
      const { rowCount } = await pool.query(
        `DELETE FROM events WHERE id IN (
           SELECT e.id FROM events e
            WHERE e.created_at < now() - make_interval(days => $1::int) AND e.dispatched_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
            ORDER BY e.id LIMIT $2)`,
        [olderThanDays, limit],
      );
      return rowCount ?? 0;
    },

    async stalePending(olderThanMs, limit) {
      const { rows } = await pool.query<{ event_id: string; webhook_id: string; replays: number }>(
        `SELECT event_id, webhook_id, replays FROM webhook_deliveries
          WHERE status = 'pending' AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY updated_at LIMIT $2`,
        [olderThanMs, limit],
      );
      return rows.map(key);
    },

    async replay(webhookId, selection) {
      const { rows } = await pool.query<{ event_id: string; webhook_id: string; replays: number }>(
        `INSERT INTO webhook_deliveries AS d (event_id, webhook_id)
         SELECT e.id, w.id FROM events e JOIN webhooks w ON w.id = $1
                 AND (w.knowledge_base IS NULL OR w.knowledge_base = e.knowledge_base)
                 AND (cardinality(w.event_types) = 0 OR e.type = ANY (w.event_types))
          WHERE ($2::bigint IS NOT NULL AND e.id = $2) OR ($3::bigint IS NOT NULL AND e.id >= $3)
          ORDER BY e.id LIMIT $4
         ON CONFLICT (event_id, webhook_id) DO UPDATE
            SET status = 'pending', replays = d.replays + 1, updated_at = now()
         RETURNING event_id, webhook_id, replays`,
        [
          webhookId,
          'eventId' in selection ? selection.eventId : null,
          'fromEventId' in selection ? selection.fromEventId : null,
          'limit' in selection ? selection.limit : 1,
        ],
      );
      return rows.map(key);
    },

    async target(delivery) {
      const { rows } = await pool.query<
        EventRow & { url: string; secret: string; delivery_status: DeliveryRecord['status']; replays: number }
      >(
        `SELECT ${EVENT_COLUMNS}, w.url, w.secret, d.status AS delivery_status, d.replays
           FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.event_id = $1 AND d.webhook_id = $2`,
        [delivery.eventId, delivery.webhookId],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        event: toEvent(row),
        url: row.url,
        secret: row.secret,
        status: row.delivery_status,
        replays: row.replays,
      };
    },

    async recordAttempt(delivery, attempt) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ attempts: number }>(
          `UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = now()
            WHERE event_id = $1 AND webhook_id = $2 RETURNING attempts`,
          [delivery.eventId, delivery.webhookId],
        );
        if (!rows[0]) return false; // the webhook was removed meanwhile
        const values = [
          delivery.eventId,
          delivery.webhookId,
          rows[0].attempts,
          delivery.replay,
          attempt.responseCode,
          attempt.durationMs,
          attempt.error,
        ];
        if (attempt.outcome === 'succeeded') {
          const inserted = await client.query(
            `INSERT INTO webhook_delivery_attempts
                    (event_id, webhook_id, attempt, replay, outcome, response_code, duration_ms, error)
             VALUES ($1, $2, $3, $4, 'succeeded', $5, $6, $7)
             ON CONFLICT (event_id, webhook_id, replay) WHERE outcome = 'succeeded' DO NOTHING`,
            values,
          );
          if ((inserted.rowCount ?? 0) === 0) {
            await client.query(
              `INSERT INTO webhook_delivery_attempts
                      (event_id, webhook_id, attempt, replay, outcome, response_code, duration_ms, error)
               VALUES ($1, $2, $3, $4, 'duplicate', $5, $6, $7)`,
              values,
            );
            return false;
          }
          await client.query(
            `UPDATE webhook_deliveries SET status = 'succeeded', updated_at = now()
              WHERE event_id = $1 AND webhook_id = $2 AND replays = $3`,
            [delivery.eventId, delivery.webhookId, delivery.replay],
          );
          return true;
        }
        await client.query(
          `INSERT INTO webhook_delivery_attempts
                  (event_id, webhook_id, attempt, replay, outcome, response_code, duration_ms, error)
           VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7)`,
          values,
        );
        if (attempt.final)
          await client.query(
            `UPDATE webhook_deliveries SET status = 'failed', updated_at = now()
              WHERE event_id = $1 AND webhook_id = $2 AND replays = $3 AND status = 'pending'`,
            [delivery.eventId, delivery.webhookId, delivery.replay],
          );
        return true;
      });
    },
  };
}
