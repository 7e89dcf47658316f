import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STAGES, type StageJob } from '@aegis/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { createDocumentNames } from '../http/document-names.ts';
import { sendError } from '../http/error-response.ts';
import { createRedisGate } from '../http/redis-gate.ts';
import { documentPagePath } from '../web/paths.ts';

export const BULL_BOARD_PATH = '/admin/queues';

/** CSP for the Bull Board single-page app: its own scripts, styles and inline style attributes, nothing remote. */
const BULL_BOARD_CSP = {
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    fontSrc: ["'self'", 'data:'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
    baseUri: ["'self'"],
    upgradeInsecureRequests: null,
  },
};

/**
 * Bull Board's page template without its Google Fonts stylesheet (offline installs would wait on it, and it
 * tells a third party who uses the board): written once per process to a private folder, from the template of
 * the installed version, so an upgrade keeps its own asset names. The board falls back to the system font.
 */
async function offlineViews(): Promise<string> {
  const fromApi = createRequire(createRequire(import.meta.url).resolve('@bull-board/api'));
  const uiDist = path.join(path.dirname(fromApi.resolve('@bull-board/ui/package.json')), 'dist');
  const template = await readFile(path.join(uiDist, 'index.ejs'), 'utf8');
  const offline = template.replace(/<link[^>]*fonts\.(googleapis|gstatic)\.com[^>]*>\s*/g, '');
  const dir = await mkdtemp(path.join(tmpdir(), 'aegis-bull-board-'));
  await writeFile(path.join(dir, 'index.ejs'), offline);
  return dir;
}

/**
 * Bull Board at /admin/queues with one BullMQ adapter per stage queue; access comes from PLUGIN_ROUTE_ACCESS.
 * Jobs are named `<stage> · <file name>` and their data carries the file name and the document's web UI page.
 */
export function bullBoardRoutes(context: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const names = createDocumentNames(context.runtime.pool);
    const views = await offlineViews();
    app.addHook('onClose', async () => {
      names.close();
      await rm(views, { recursive: true, force: true });
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: STAGES.map((stage) => {
        const adapter = new BullMQAdapter(context.runtime.queues.queue(stage));
        adapter.setFormatter('name', (job: { data?: Partial<StageJob> }) => {
          const documentId = job.data?.documentId;
          if (!documentId) return stage;
          return `${stage} · ${names.nameOf(documentId) ?? documentId.slice(0, 8)}`;
        });
        adapter.setFormatter('data', (data: Partial<StageJob> | undefined) =>
          data?.documentId
            ? {
                ...data,
                file: names.nameOf(data.documentId) ?? null,
                page: documentPagePath(data.documentId),
              }
            : data,
        );
        return adapter;
      }),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Aegis Ingest' } },
    });
    serverAdapter.setViewsPath(views);
    // The board's JSON API reads Redis on every request; with Redis down it answers 503 at once instead of
    // waiting out ioredis's retries on each of its commands.
    const redisGate = createRedisGate(context.runtime.redis);
    // The board's own error handler would turn the refusal into a 500, so it is answered here.
    app.addHook('preHandler', async (request, reply) => {
      if (!request.url.startsWith(`${BULL_BOARD_PATH}/api/`)) return;
      try {
        await redisGate.assertUp();
      } catch (error) {
        return sendError(request, reply, error);
      }
    });
    // Bull Board's routes are registered by its plugin, so their helmet settings are set here.
    app.addHook('onRoute', (route) => {
      route.config = {
        ...route.config,
        helmet: { contentSecurityPolicy: BULL_BOARD_CSP },
      } as typeof route.config;
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  };
}
