import { AegisError } from '@aegis/core';
import type { ApiKeyRole } from '@aegis/stores';
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

/** HTML forms post urlencoded; parsed only in the plugins that call this, so no other route accepts form bodies. */
export function acceptFormBodies(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4_096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
}

/** What differs between the admin login (Bull Board) and the web UI login. */
export interface KeyLoginOptions {
  path: string;
  /** Where `next` may point (anything else becomes the default). */
  /** With the key's roles once it is known (to pick a default the key may open); without on the form. */
  safeNext: (next: unknown, roles?: readonly ApiKeyRole[]) => string;
  /** Only keys with this role may log in here; default any active key. */
  requiredRole?: 'admin' | undefined;
  /** The form's heading and field label. */
  heading: string;
  label: string;
  /** Audit action name. */
  action: string;
  /** OpenAPI texts (the web UI's login is hidden from the document). */
  summary: string;
  formSummary: string;
  redirectDescription: string;
}

/**
 * GET/POST `path`: the form, and the exchange of a key for a session cookie (audited; failed keys count
 * against the client's failed-authentication budget before any lookup).
 */
export function keyLoginRoutes(context: ApiContext, options: KeyLoginOptions) {
  const { apiKeys, sessions } = context;
  const page = (next: string, error?: string) =>
    loginPage({ next, error, action: options.path, heading: options.heading, label: options.label });
  return async function plugin(app: FastifyInstance): Promise<void> {
    acceptFormBodies(app);

    app.get<{ Querystring: { next?: string } }>(
      options.path,
      {
        // Public by necessity: this is where a browser presents its key. It shows a form and nothing else.
        config: { access: 'public' },
        schema: {
          tags: ['admin'],
          summary: options.formSummary,
          querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } },
          produces: ['text/html'],
          ...(options.requiredRole ? {} : { hide: true }),
        },
      },
      async (request, reply) =>
        reply.type('text/html; charset=utf-8').send(page(options.safeNext(request.query.next))),
    );

    app.post<{ Body: { apiKey?: string; next?: string } }>(
      options.path,
      {
        // Public by necessity (the key is in the body); audited and rate limited per client IP.
        config: { access: 'public', action: options.action },
        schema: {
          tags: ['admin'],
          summary: options.summary,
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: {
            type: 'object',
            properties: {
              apiKey: { type: 'string', maxLength: 300 },
              next: { type: 'string', maxLength: 500 },
            },
          },
          response: {
            303: { type: 'null', description: options.redirectDescription },
            ...errorResponses({ 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN: not an admin key' }),
          },
          ...(options.requiredRole ? {} : { hide: true }),
        },
      },
      async (request, reply) => {
        const next = options.safeNext(request.body?.next);
        const presented = request.body?.apiKey?.trim();
        if (presented) {
          const verdict = await context.authFailures.check(request.ip);
          if (verdict.blocked) throw refuseGuessing(reply, verdict.retryAfterMs);
        }
        const key = presented ? await apiKeys.verify(presented) : undefined;
        if (presented && !key) await context.authFailures.fail(request.ip);
        const failure = !key
          ? new AegisError('UNAUTHENTICATED', 'That key is invalid or revoked.')
          : options.requiredRole && !key.roles.includes(options.requiredRole)
            ? new AegisError('FORBIDDEN', `That key is not an ${options.requiredRole} key.`)
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
            .send(page(next, refused.message));
        }
        sessions.start(reply, key.id);
        return reply.redirect(options.safeNext(request.body?.next, key.roles), 303);
      },
    );
  };
}

/** GET/POST /admin/login (exchange an admin key for a session cookie) and POST /admin/logout. */
export function adminLoginRoutes(context: ApiContext) {
  const login = keyLoginRoutes(context, {
    path: LOGIN_PATH,
    safeNext,
    requiredRole: 'admin',
    heading: 'Admin',
    label: 'Admin API key',
    action: 'admin.login',
    summary: 'Exchange an admin API key for an 8-hour session cookie, then redirect to `next`',
    formSummary: 'The admin login form (HTML)',
    redirectDescription: 'Logged in: redirect to next (default /admin/queues).',
  });
  return async function plugin(app: FastifyInstance): Promise<void> {
    await login(app);

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
        context.sessions.clear(reply);
        return reply.redirect(LOGIN_PATH, 303);
      },
    );
  };
}
