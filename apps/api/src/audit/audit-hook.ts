import type { AuditLog } from '@aegis/stores';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { principalKey } from '../auth/principal.ts';
import { createRefusalSummary } from './refusal-summary.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request acted on (document id, key id, path), set by handlers for the audit log. */
    auditTarget: string | undefined;
    /** The knowledge base the request acted on, set by handlers; a scoped key's own base otherwise. */
    auditKnowledgeBase: string | undefined;
  }
}

/** Audited: every mutation on a registered route, and admin reads a route names with an `action` (keys, audit). */
export function shouldAudit(request: FastifyRequest): boolean {
  const { access, action } = request.routeOptions.config;
  if (access === undefined) return false;
  if (!READ_METHODS.has(request.method)) return true;
  return access === 'admin' && action !== undefined;
}

/** A key scoped to exactly one base acts within it, whatever the route. */
function soleBase(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal?.kind !== 'api-key' || principal.knowledgeBases?.length !== 1) return undefined;
  return principal.knowledgeBases[0];
}

/**
 * A request refused before anyone authenticated (wrong or missing key, over a limit, a stalled body): summed
 * per IP instead of one row each.
 */
function isUnauthenticatedRefusal(request: FastifyRequest, status: number): boolean {
  return request.principal === null && (status === 401 || status === 408 || status === 429);
}

/**
 * onResponse hook writing one `audit_log` row per audited request, with the status the caller got (4xx and
 * 5xx included). Refusals of unauthenticated callers (401, and 429 before authentication) are summed into
 * one `auth.refused` row per IP and `refusalWindowMs` instead (408s of unauthenticated callers too), so a flood cannot fill the table. The response
 * has already been sent, and a failed write is logged, never thrown: auditing must not turn a done request into
 * an error. `pending` lets shutdown wait for the last writes.
 */
export function createAuditHook(options: {
  auditLog: AuditLog;
  logger: FastifyBaseLogger;
  /** Window of the refusal summaries, in ms (AUTH_FAILURE_WINDOW_MS). */
  refusalWindowMs: number;
}) {
  const pending = new Set<Promise<void>>();
  const refusals = createRefusalSummary({
    windowMs: options.refusalWindowMs,
    write: (entry) =>
      options.auditLog.record(entry).catch((error: unknown) => {
        options.logger.error({ err: error, ip: entry.ip }, 'audit log write of refused requests failed');
      }),
  });
  async function onResponse(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Refused unauthenticated callers on any registered route (reads too: a key-guessing run is worth seeing).
    if (
      request.routeOptions.config.access !== undefined &&
      isUnauthenticatedRefusal(request, reply.statusCode)
    ) {
      refusals.add({
        ip: request.ip,
        action: request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url ?? ''}`,
        status: reply.statusCode,
        errorCode: request.errorCode,
        userAgent: request.headers['user-agent'],
      });
      return;
    }
    if (!shouldAudit(request)) return;
    const key = principalKey(request.principal);
    const { action } = request.routeOptions.config;
    const route = request.routeOptions.url ?? request.url;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const write = options.auditLog
      .record({
        keyId: key?.id ?? null,
        keyName: key?.name ?? null,
        action: action ?? `${request.method} ${route}`,
        target: request.auditTarget ?? params.id ?? params.queueName ?? null,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        status: reply.statusCode,
        knowledgeBase: request.auditKnowledgeBase ?? soleBase(request) ?? null,
        details: {
          method: request.method,
          route,
          ...(request.principal?.kind === 'api-key' ? { via: request.principal.via } : {}),
          ...(request.errorCode ? { errorCode: request.errorCode } : {}),
        },
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error, route, status: reply.statusCode }, 'audit log write failed');
      })
      .finally(() => pending.delete(write));
    pending.add(write);
  }
  return {
    onResponse,
    /** Writes the pending refusal summaries and resolves when every audit write so far has finished. */
    async drain(): Promise<void> {
      await Promise.all([...pending, refusals.flush()]);
    },
  };
}
