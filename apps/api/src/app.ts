import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { AppConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import type { Logger } from '@aegis/observability';
import {
  type ApiKeyStore,
  type AuditLog,
  createApiKeyStore,
  createAuditLog,
  resolveApiKeyPepper,
} from '@aegis/stores';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { ApiContext, ApiRuntime } from './app-context.ts';
import { createAuditHook } from './audit/audit-hook.ts';
import { routeAccess } from './auth/access.ts';
import { createAdminSessions } from './auth/admin-session.ts';
import { createAuthFailureGuard } from './auth/auth-failure-guard.ts';
import { createAuthHook, type LocalOperator } from './auth/auth-hook.ts';
import { principalKey } from './auth/principal.ts';
import { createBodyIdleTimeout } from './http/body-timeout.ts';
import { createErrorHandler } from './http/error-response.ts';
import { rateLimitOptions } from './http/rate-limit-options.ts';
import { maskSecretValues, noStoreByDefault, refuseNulCharacters } from './http/request-hygiene.ts';
import { errorSchema } from './http/schemas.ts';
import { corsOptions, HELMET_OPTIONS } from './http/security-options.ts';
import { adminKeyRoutes } from './routes/admin-key-routes.ts';
import { adminLoginRoutes, LOGIN_PATH } from './routes/admin-login-routes.ts';
import { bullBoardRoutes } from './routes/bull-board-routes.ts';
import { costExportRoutes } from './routes/cost-export-routes.ts';
import { documentLookupRoutes } from './routes/document-lookup-routes.ts';
import { documentRoutes } from './routes/document-routes.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { searchRoutes } from './routes/search-routes.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';
import { realRoots } from './uploads/resolve-ingest-path.ts';
import { WEB_LOGIN_PATH, WEB_PREFIX } from './web/paths.ts';
import { webRoutes } from './web/web-routes.ts';

/** Admin browser sessions last a working day. */
const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export interface BuildAppOptions {
  config: AppConfig;
  /** A producer-only worker runtime (`startWorkerRuntime({ stages: [] })`), or a full one. */
  runtime: ApiRuntime;
  logger: Logger;
  /** Where uploads are streamed while they are checked. Default: the OS temp dir. */
  uploadTempDir?: string | undefined;
  /** Overrides for tests; by default both are built on `runtime.pool`. */
  apiKeys?: ApiKeyStore | undefined;
  auditLog?: AuditLog | undefined;
  /**
   * For the local `aegis` CLI only, which serves its requests in-process through `app.inject` and never listens:
   * requests presenting this token act as an admin named `localOperator.name`. Never set it on a listening API.
   */
  localOperator?: LocalOperator | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves when every audit-log write started so far has finished (tests, shutdown). */
    auditDrain(): Promise<void>;
    /** Every registered route with the access it got (for the auth matrix test and diagnostics). */
    registeredRoutes: ReadonlyArray<{ method: string; url: string; access: string }>;
  }
}

function sessionSecret(config: AppConfig, logger: Logger): string {
  if (config.api.sessionSecret !== undefined) return config.api.sessionSecret;
  if (config.isProduction) throw new AegisError('CONFIG_INVALID', 'SESSION_SECRET is required in production');
  logger.warn(
    'SESSION_SECRET is not set: using a random one, so admin sessions end when this process restarts',
  );
  return randomBytes(32).toString('hex');
}

/** API_TRUST_PROXY for Fastify; a hop count becomes the function proxy-addr makes of one (the type lacks numbers). */
function trustProxyOption(
  setting: boolean | number | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/**
 * The HTTP API as a Fastify instance (not listening: call `listen`, or `inject` in tests). Every route must
 * declare its access (`config.access`) or sit under a prefix in PLUGIN_ROUTE_ACCESS; registration fails
 * otherwise, so no route can ship without authentication by accident.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  if (options.localOperator !== undefined && options.localOperator.token.length < 32)
    throw new AegisError(
      'CONFIG_INVALID',
      'the local operator token must be a random secret of 32+ characters',
    );
  const { config, runtime, logger } = options;
  const { pepper, insecure } = resolveApiKeyPepper({
    pepper: config.api.apiKeyPepper,
    isProduction: config.isProduction,
  });
  if (insecure)
    logger.warn(
      'API_KEY_PEPPER is not set: hashing API keys with the public development pepper (never in production)',
    );
  const apiKeys = options.apiKeys ?? createApiKeyStore({ pool: runtime.pool, pepper });
  const auditLog = options.auditLog ?? createAuditLog({ pool: runtime.pool });
  const secret = sessionSecret(config, logger);
  const sessions = createAdminSessions({
    apiKeys,
    ttlMs: SESSION_TTL_MS,
    secure: config.isProduction,
    secret,
  });
  // Its own connection: a stalled limiter must not queue behind job traffic, and it fails fast (fallback in-process).
  const guardRedis = runtime.redis.duplicate({ maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  const authFailures = createAuthFailureGuard({
    redis: guardRedis,
    namespace: `${config.redis.queuePrefix}:auth-failures:`,
    max: config.api.authFailures.max,
    windowMs: config.api.authFailures.windowMs,
  });
  const context: ApiContext = {
    config,
    runtime,
    apiKeys,
    auditLog,
    sessions,
    authFailures,
    uploadTempDir: options.uploadTempDir ?? tmpdir(),
    ingestRoots: await realRoots(config.api.ingestPathRoots),
  };
  if (config.api.ingestPathRoots.length > context.ingestRoots.length)
    logger.warn({ roots: config.api.ingestPathRoots }, 'some INGEST_PATH_ROOTS do not exist and are ignored');

  const { timeouts } = config.api;
  const app = Fastify({
    // Widened: route plugins are typed against Fastify's base logger interface, which pino implements.
    loggerInstance: logger as FastifyBaseLogger,
    exposeHeadRoutes: false,
    // JSON bodies are small (paths, key names); uploads go through multipart with their own limit.
    bodyLimit: 1024 * 1024,
    // Slow clients cannot hold connections: headers within API_HEADERS_TIMEOUT_MS, the whole request within
    // API_REQUEST_TIMEOUT_MS (Node answers 408 and closes), a stalled body within API_BODY_IDLE_TIMEOUT_MS (hook below).
    http: {
      headersTimeout: timeouts.headersMs,
      // Node checks these timeouts on an interval (30 s by default): check often enough that they hold.
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(timeouts.headersMs / 4))),
    },
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    trustProxy: trustProxyOption(config.api.trustProxy),
    // Our logger's sanitizer reduces Fastify's request objects to `{}`; one plain line per request instead (below).
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('auditTarget', undefined);
  app.decorateRequest('auditKnowledgeBase', undefined);
  app.decorateRequest('errorCode', undefined);

  // First hook of all, so it sees every route, including those plugins register.
  const registered: Array<{ method: string; url: string; access: string }> = [];
  app.decorate('registeredRoutes', registered);
  app.addHook('onRoute', (route) => {
    const access = routeAccess(route.url, route.config);
    if (access === undefined)
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access)`);
    route.config = { ...route.config, ...access };
    for (const method of [route.method].flat())
      registered.push({ method, url: route.url, access: access.access });
  });
  app.setErrorHandler(
    createErrorHandler({
      database: Number(new URL(config.database.url).port || 5432),
      queue: Number(new URL(config.redis.url).port || 6379),
    }),
  );
  // Before authentication, so a stalled body is cut off whoever sends it.
  app.addHook('onRequest', createBodyIdleTimeout({ idleMs: timeouts.bodyIdleMs }));
  app.addHook('preValidation', refuseNulCharacters);
  app.addHook('onSend', noStoreByDefault);
  app.addHook('onSend', maskSecretValues(runtime.masker));
  app.setNotFoundHandler((request) => {
    throw new AegisError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`);
  });
  app.addSchema(errorSchema);

  await app.register(fastifyCookie, { secret, hook: 'onRequest' });
  await app.register(fastifyHelmet, HELMET_OPTIONS);
  const cors = corsOptions(config.api.allowedOrigins);
  if (cors) await app.register(fastifyCors, cors);
  await app.register(fastifyMultipart, { limits: { files: 1, fileSize: config.api.uploadMaxBytes + 1 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Aegis Ingest API',
        version: '1',
        description:
          'Register documents, follow their pipeline, search them, and read costs. Every route but /healthz needs an API key (`aegis keys create`).',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'aegis_<id>_<secret>' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
  });

  const authHook = createAuthHook({
    apiKeys,
    sessions,
    metricsToken: config.metrics.token,
    loginPathFor: (url) =>
      url.startsWith(`${WEB_PREFIX}/`) || url === WEB_PREFIX ? WEB_LOGIN_PATH : LOGIN_PATH,
    localOperator: options.localOperator,
    failures: authFailures,
  });
  app.addHook('onRequest', authHook);
  const rateLimitRedis = runtime.redis.duplicate({ maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  await app.register(
    fastifyRateLimit,
    rateLimitOptions({
      max: config.api.rateLimit.max,
      windowMs: config.api.rateLimit.windowMs,
      redis: rateLimitRedis,
      namespace: `${config.redis.queuePrefix}:rate-limit:`,
    }),
  );
  const audit = createAuditHook({
    auditLog,
    logger: app.log,
    refusalWindowMs: config.api.authFailures.windowMs,
  });
  app.addHook('onResponse', audit.onResponse);
  app.addHook('onResponse', async (request, reply) => {
    // The path only: query strings can carry search text.
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        keyId: principalKey(request.principal)?.id,
      },
      'request completed',
    );
  });
  app.decorate('auditDrain', audit.drain);

  await app.register(healthRoutes(context));
  await app.register(documentRoutes(context));
  await app.register(documentLookupRoutes(context));
  await app.register(costExportRoutes(context));
  await app.register(eventRoutes(context));
  await app.register(searchRoutes(context));
  await app.register(webhookRoutes(context));
  await app.register(adminLoginRoutes(context));
  await app.register(adminKeyRoutes(context));
  await app.register(bullBoardRoutes(context));
  await app.register(webRoutes(context));
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onClose', async () => {
    await audit.drain();
    rateLimitRedis.disconnect();
    guardRedis.disconnect();
  });
  return app;
}
