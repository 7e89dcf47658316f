import type { ApiKeyStore } from '@aegis/stores';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './principal.ts';

/** Cookie holding the admin browser session: `<key id>.<expiry ms>`, signed with SESSION_SECRET. */
export const SESSION_COOKIE = 'aegis_admin_session';

export interface AdminSessions {
  /** Sets the session cookie for an admin key. */
  start(reply: FastifyReply, keyId: string): void;
  /** The session's principal when the cookie is validly signed, unexpired, and its key still active and admin. */
  read(request: FastifyRequest): Promise<Principal | undefined>;
  clear(reply: FastifyReply): void;
}

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
      if (!key?.roles.includes('admin')) return undefined;
      return {
        kind: 'api-key',
        keyId: key.id,
        keyName: key.name,
        roles: key.roles,
        via: 'session',
        knowledgeBases: key.knowledgeBases,
      };
    },

    clear(reply) {
      void reply.clearCookie(SESSION_COOKIE, cookieOptions);
    },
  };
}
