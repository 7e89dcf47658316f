import { readFile } from 'node:fs/promises';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { wantsHtml } from '../auth/credentials.ts';
import { errorResponse, handleError } from '../http/error-response.ts';
import { acceptFormBodies, keyLoginRoutes } from '../routes/admin-login-routes.ts';
import { costsPage } from './costs-page.ts';
import { documentPage } from './document-page.ts';
import { documentsPage } from './documents-page.ts';
import { html } from './html.ts';
import { sendPage, WEB_CSP } from './layout.ts';
import { pageImages } from './page-images.ts';
import { safeWebNext, WEB_ASSETS, WEB_LOGIN_PATH, WEB_PREFIX } from './paths.ts';
import { searchPage } from './search-page.ts';
import { uploadPage } from './upload-page.ts';

/** The UI's two static files, read once at start (no build step, nothing fetched at run time). */
const ASSETS: Record<string, string> = {
  'ui.css': 'text/css; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
};

/**
 * The documents web UI under /ui (ADR 017): server-rendered pages over the registry, search and ledger code
 * the JSON routes use, with the same keys, roles and knowledge-base scopes; a browser logs in with any key.
 */
export function webRoutes(context: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const assets = new Map<string, Buffer>();
    for (const name of Object.keys(ASSETS))
      assets.set(name, await readFile(new URL(`./assets/${name}`, import.meta.url)));

    // Every UI route gets the strict page CSP.
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, helmet: { contentSecurityPolicy: WEB_CSP } } as typeof route.config;
    });
    // A browser gets an error page; API clients the usual JSON error.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (!wantsHtml(request.headers)) return handleError(error, request, reply);
      const { status, body } = errorResponse(error);
      request.errorCode = body.error.code;
      const page = html`<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
<p class="error" id="error-message"><code>${body.error.code}</code> ${body.error.message}</p>
<p><a href="${WEB_PREFIX}/documents">Back to the documents</a></p>`;
      return sendPage(request, reply, context.sessions, {
        title: body.error.code,
        section: undefined,
        body: page,
        status,
      });
    });

    app.get<{ Params: { name: string } }>(
      `${WEB_ASSETS}/:name`,
      {
        // The stylesheet and script hold no data: public, so the login form could use them too.
        config: { access: 'public' },
        schema: {
          hide: true,
          params: { type: 'object', properties: { name: { type: 'string', maxLength: 40 } } },
        },
      },
      async (request, reply) => {
        const bytes = assets.get(request.params.name);
        const type = ASSETS[request.params.name];
        if (!bytes || !type) return reply.callNotFound();
        return reply.type(type).header('cache-control', 'public, max-age=300').send(bytes);
      },
    );

    await app.register(
      keyLoginRoutes(context, {
        path: WEB_LOGIN_PATH,
        safeNext: safeWebNext,
        heading: 'Documents',
        label: 'API key',
        action: 'web.login',
        summary: 'Exchange any API key for a browser session of the web UI',
        formSummary: 'The web UI login form (HTML)',
        redirectDescription: 'Logged in: redirect to next (default /ui/documents).',
      }),
    );
    await app.register(async (logout) => {
      acceptFormBodies(logout);
      logout.post(
        `${WEB_PREFIX}/logout`,
        // Public: ending a session needs none, and harms nothing when forged.
        { config: { access: 'public', action: 'web.logout' }, schema: { hide: true } },
        async (_request, reply) => {
          context.sessions.clear(reply);
          return reply.redirect(WEB_LOGIN_PATH, 303);
        },
      );
    });
    await app.register(documentsPage(context));
    await app.register(documentPage(context));
    await app.register(pageImages(context));
    await app.register(uploadPage(context));
    await app.register(searchPage(context));
    await app.register(costsPage(context));
  };
}
