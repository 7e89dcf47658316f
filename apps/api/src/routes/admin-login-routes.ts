import { AegisError } from '@aegis/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { refuseGuessing } from '../auth/auth-hook.ts';
import { wantsHtml } from '../auth/credentials.ts';
import { errorResponses } from '../http/schemas.ts';
import { loginPage } from './login-page.ts';

export const LOGIN_PATH = '/admin/login';
const DEFAULT_NEXT = '/admin/queues';

/** Only our own admin pages: a `next` pointing elsewhere would make the login an open redirect. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin\/[\w\-./]*$/.test(next) && !next.startsWith('/admin/login')
    ? next
    : DEFAULT_NEXT;
}

/** GET/POST /admin/login (exchange an admin key for a session cookie) and POST /admin/logout. */
export function adminLoginRoutes(context: ApiContext) {
  const { apiKeys, sessions } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    // HTML forms post urlencoded; parsed only in this plugin, so no other route accepts form bodies.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4_096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    app.get<{ Querystring: { next?: string } }>(
      LOGIN_PATH,
      {
        // Public by necessity: this is where a browser presents its key. It shows a form and nothing else.
        config: { access: 'public' },
        schema: {
          tags: ['admin'],
          summary: 'The admin login form (HTML)',
          querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } },
          produces: ['text/html'],
        },
      },
      async (request, reply) =>
        reply.type('text/html; charset=utf-8').send(loginPage({ next: safeNext(request.query.next) })),
    );

    app.post<{ Body: { apiKey?: string; next?: string } }>(
      LOGIN_PATH,
      {
        // Public by necessity (the key is in the body); audited and rate limited per client IP.
        config: { access: 'public', action: 'admin.login' },
        schema: {
          tags: ['admin'],
          summary: 'Exchange an admin API key for an 8-hour session cookie, then redirect to `next`',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: {
            type: 'object',
            properties: {
              apiKey: { type: 'string', maxLength: 300 },
              next: { type: 'string', maxLength: 500 },
            },
          },
          response: {
            303: { type: 'null', description: 'Logged in: redirect to next (default /admin/queues).' },
            ...errorResponses({ 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN: not an admin key' }),
          },
        },
      },
      async (request, reply) => {
        const next = safeNext(request.body?.next);
        const presented = request.body?.apiKey?.trim();
        if (presented) {
          const verdict = await context.authFailures.check(request.ip);
          if (verdict.blocked) throw refuseGuessing(reply, verdict.retryAfterMs);
        }
        const key = presented ? await apiKeys.verify(presented) : undefined;
        if (presented && !key) await context.authFailures.fail(request.ip);
        const failure = !key
          ? new AegisError('UNAUTHENTICATED', 'That key is invalid or revoked.')
          : !key.roles.includes('admin')
            ? new AegisError('FORBIDDEN', 'That key is not an admin key.')
            : undefined;
        if (key) {
          request.principal = {
            kind: 'api-key',
            keyId: key.id,
            keyName: key.name,
            roles: key.roles,
            via: 'header',
          };
          request.auditTarget = key.id;
        }
        if (!key || failure) {
          const refused = failure ?? new AegisError('UNAUTHENTICATED', 'That key is invalid or revoked.');
          request.errorCode = refused.code;
          if (!wantsHtml(request.headers)) throw refused;
          return reply
            .status(refused.code === 'FORBIDDEN' ? 403 : 401)
            .type('text/html; charset=utf-8')
            .send(loginPage({ next, error: refused.message }));
        }
        sessions.start(reply, key.id);
        return reply.redirect(next, 303);
      },
    );

    app.post(
      '/admin/logout',
      {
        config: { access: 'admin', session: true, action: 'admin.logout' },
        schema: {
          tags: ['admin'],
          summary: 'End the admin browser session',
          response: { 303: { type: 'null', description: 'Logged out: redirect to the login form.' } },
        },
      },
      async (_request, reply) => {
        sessions.clear(reply);
        return reply.redirect(LOGIN_PATH, 303);
      },
    );
  };
}
