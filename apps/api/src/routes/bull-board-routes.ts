import { AegisError, STAGES } from '@aegis/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { sendError } from '../http/error-response.ts';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * CSP for the Bull Board single-page app: its own scripts and styles, inline style attributes, and its
 * Google Fonts stylesheet (the page falls back to system fonts when that is unreachable).
 */
const BULL_BOARD_CSP = {
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
    fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
    baseUri: ["'self'"],
    upgradeInsecureRequests: null,
  },
};

/** Bull Board at /admin/queues with one BullMQ adapter per stage queue; access comes from PLUGIN_ROUTE_ACCESS. */
export function bullBoardRoutes(context: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: STAGES.map((stage) => new BullMQAdapter(context.runtime.queues.queue(stage))),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Aegis Ingest' } },
    });
    // BullMQ waits for a Redis connection that is down instead of failing: answer at once instead of hanging.
    app.addHook('preHandler', async (request, reply) => {
      if (context.runtime.redis.status !== 'ready')
        return sendError(
          request,
          reply,
          new AegisError('QUEUE_UNAVAILABLE', 'Redis (the queues) is unreachable; try again shortly.'),
        );
      return undefined;
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
