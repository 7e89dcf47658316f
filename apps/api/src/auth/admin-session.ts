import { createHmac } from 'node:crypto';
import type { ApiKeyStore } from '@aegis/stores';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './principal.ts';

/**
 * Cookie holding the browser session: `<key id>.<expiry ms>`, signed with SESSION_SECRET. Its name is
 * historical: the admin login (Bull Board) and the web UI login (any key) both set it.
 */
export const SESSION_COOKIE = 'aegis_admin_session';

export interface AdminSessions {
  /** Sets the session cookie for a key (the auth hook checks each route's role against the key's roles). */
  start(reply: FastifyReply, keyId: string): void;
  /** The session's principal when the cookie is validly signed, unexpired, and its key still active. */
  read(request: FastifyRequest): Promise<Principal | undefined>;
  /**
   * The CSRF token of the request's session (HMAC of its signed cookie): pages embed it, and script-sent
   * mutations authenticated by the cookie must echo it in `x-csrf-token`. Undefined without a session cookie.
   */
  csrfToken(request: FastifyRequest): string | undefined;
  clear(reply: FastifyReply): void;
}

/** Header carrying the session's CSRF token on cookie-authenticated mutations. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Stateless sessions: the cookie carries the key id and expiry under an HMAC signature (@fastify/cookie), and
 * every request re-checks the key, so revoking the key ends its sessions at once.
 */
export function createAdminSessions(options: {
  apiKeys: ApiKeyStore;
  /** Session lifetime, in ms. */
  ttlMs: number;
  /** Send the cookie over HTTPS only (production). */
  secure: boolean;
  /** SESSION_SECRET, for CSRF tokens. */
  secret: string;
}): AdminSessions {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    // Strict: the cookie never rides a cross-site request, which is what makes cookie-authenticated
    // Bull Board mutations safe from CSRF without tokens.
    sameSite: 'strict' as const,
    secure: options.secure,
    signed: true,
  };
  return {
    start(reply, keyId) {
      const expires = Date.now() + options.ttlMs;
      void reply.setCookie(SESSION_COOKIE, `${keyId}.${expires}`, {
        ...cookieOptions,
        maxAge: Math.floor(options.ttlMs / 1000),
      });
    },

    async read(request) {
      const raw = request.cookies[SESSION_COOKIE];
      if (!raw) return undefined;
      const unsigned = request.unsignCookie(raw);
      if (!unsigned.valid || unsigned.value === null) return undefined;
      const [keyId, expires] = unsigned.value.split('.');
      if (!keyId || !expires || Number(expires) < Date.now()) return undefined;
      const key = await options.apiKeys.findActive(keyId);
      if (!key) return undefined;
      return {
        kind: 'api-key',
        keyId: key.id,
        keyName: key.name,
        roles: key.roles,
        via: 'session',
        knowledgeBases: key.knowledgeBases,
      };
    },

    csrfToken(request) {
      const raw = request.cookies[SESSION_COOKIE];
      if (!raw) return undefined;
      return createHmac('sha256', options.secret).update(`csrf:${raw}`).digest('base64url');
    },

    clear(reply) {
      void reply.clearCookie(SESSION_COOKIE, cookieOptions);
    },
  };
}
