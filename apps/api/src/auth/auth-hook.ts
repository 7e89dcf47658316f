import { AegisError } from '@aegis/core';
import { type ApiKeyStore, hasRole } from '@aegis/stores';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/error-response.ts';
import { type AdminSessions, CSRF_HEADER } from './admin-session.ts';
import type { AuthFailureGuard } from './auth-failure-guard.ts';
import { presentedCredential, safeEqual, wantsHtml } from './credentials.ts';

export interface AuthHookOptions {
  apiKeys: ApiKeyStore;
  sessions: AdminSessions;
  /** `METRICS_TOKEN`; without one, /metrics takes admin keys only. */
  metricsToken: string | undefined;
  /** Where a browser asking for `url` is sent to log in. */
  loginPathFor: (url: string) => string;
  /** Failed authentications per IP, checked before any key lookup. */
  failures: AuthFailureGuard;
  /** The in-process operator of the local CLI (see `BuildAppOptions.localOperator`). */
  localOperator?: LocalOperator | undefined;
}

/**
 * The person running `aegis` on the server itself: the CLI builds the API in-process (never listening) and
 * presents a random token that exists only in that process's memory. It acts as an admin, as the shell user
 * could anyway by reaching Postgres directly, and is audited under its own name (`cli:<user>`).
 */
export interface LocalOperator {
  /** A random secret of at least 32 characters, generated per process. */
  token: string;
  /** Audit and attribution name, e.g. `cli:alice`. */
  name: string;
}

/** 429 for an IP over its failed-authentication budget, with Retry-After; no key is looked up. */
export function refuseGuessing(reply: FastifyReply, retryAfterMs: number): AegisError {
  void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return new AegisError(
    'RATE_LIMITED',
    'Too many failed authentications from this address; wait before trying again.',
    { details: { reason: 'authentication-failures', retryAfterMs } },
  );
}

/**
 * onRequest hook: authenticates the caller and checks the route's declared access before any body is read
 * (so an unauthenticated upload is refused before a byte reaches the disk). Failures are answered here
 * rather than thrown: plugin contexts with their own error handler (Bull Board's) would turn them into 500s.
 */
export function createAuthHook(options: AuthHookOptions) {
  const authenticate = createAuthenticate(options);
  return async function authenticateOrRefuse(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    try {
      return await authenticate(request, reply);
    } catch (error) {
      // Keys live in Postgres: when it is down, 503 DATABASE_UNAVAILABLE here, in every plugin context.
      return sendError(request, reply, error);
    }
  };
}

function createAuthenticate(options: AuthHookOptions) {
  const { apiKeys, sessions, metricsToken } = options;
  return async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const { access, session, global } = request.routeOptions.config;
    // No access: the not-found handler (registered routes always have one, see buildApp's onRoute check).
    if (access === undefined || access === 'public') return undefined;

    const credential = presentedCredential(request.headers);
    if (access === 'metrics' && credential !== undefined && metricsToken !== undefined) {
      if (safeEqual(credential, metricsToken)) {
        request.principal = { kind: 'metrics-token' };
        return undefined;
      }
    }

    const local = options.localOperator;
    if (credential !== undefined && local !== undefined && safeEqual(credential, local.token)) {
      request.principal = {
        kind: 'api-key',
        keyId: 'local',
        keyName: local.name,
        roles: ['admin'],
        via: 'local',
      };
      return undefined;
    }

    if (credential !== undefined) {
      // Before the lookup: a flood of guessed keys from one address costs Redis, never Postgres.
      const verdict = await options.failures.check(request.ip);
      if (verdict.blocked) return sendError(request, reply, refuseGuessing(reply, verdict.retryAfterMs));
      const key = await apiKeys.verify(credential);
      if (!key) {
        await options.failures.fail(request.ip);
        return sendError(
          request,
          reply,
          new AegisError('UNAUTHENTICATED', 'The API key is invalid or revoked.'),
        );
      }
      request.principal = {
        kind: 'api-key',
        keyId: key.id,
        keyName: key.name,
        roles: key.roles,
        via: 'header',
        knowledgeBases: key.knowledgeBases,
      };
      void apiKeys.touch(key.id);
    } else if (session === true) {
      request.principal = (await sessions.read(request)) ?? null;
    }

    if (request.principal === null) {
      if (session === true && request.method === 'GET' && wantsHtml(request.headers)) {
        const next = encodeURIComponent(request.url);
        return reply.redirect(`${options.loginPathFor(request.url)}?next=${next}`, 302);
      }
      return sendError(
        request,
        reply,
        new AegisError(
          'UNAUTHENTICATED',
          'An API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`.',
        ),
      );
    }
    if (request.principal.kind === 'api-key' && request.principal.via === 'session') {
      const refused = csrfRefusal(request, sessions);
      if (refused) return sendError(request, reply, refused);
    }
    const needed = access === 'metrics' ? 'admin' : access;
    if (request.principal.kind !== 'api-key' || !hasRole(request.principal.roles, needed)) {
      return sendError(
        request,
        reply,
        new AegisError('FORBIDDEN', `This route needs the ${needed} role.`, {
          details: { required: needed },
        }),
      );
    }
    if (global === true && request.principal.knowledgeBases !== undefined) {
      return sendError(
        request,
        reply,
        new AegisError(
          'FORBIDDEN',
          'This route concerns every knowledge base; a key scoped to knowledge bases cannot use it.',
          { details: { knowledgeBases: request.principal.knowledgeBases } },
        ),
      );
    }
    return undefined;
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A mutation authenticated by the session cookie must carry the session's CSRF token (the web UI's script sends
 * it). The cookie is SameSite=Strict already; the token also stops same-site attackers (a sibling subdomain).
 * The admin pages under /admin/ (Bull Board's own script cannot send it) keep relying on SameSite alone.
 */
function csrfRefusal(request: FastifyRequest, sessions: AdminSessions): AegisError | undefined {
  if (SAFE_METHODS.has(request.method) || request.url.startsWith('/admin/')) return undefined;
  const expected = sessions.csrfToken(request);
  const header = request.headers[CSRF_HEADER];
  const presented = Array.isArray(header) ? header[0] : header;
  if (expected !== undefined && presented !== undefined && safeEqual(presented, expected)) return undefined;
  return new AegisError('FORBIDDEN', 'A browser session must send its CSRF token with this request.', {
    details: { reason: 'csrf' },
  });
}
