#!/usr/bin/env node
// Writes the OpenAPI document this API serves into packages/client, from which the client's types are derived.
// Run after changing a route's schema: `npm run generate:client` (needs Redis and Postgres, as `npm run api` does).
// test/api/client-openapi.test.ts fails while the committed document differs from the served one.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig, loadDotEnv } from '@aegis/config';
import { createLogger } from '@aegis/observability';
import { startWorkerRuntime } from '@aegis/worker';
import { buildApp } from '../app.ts';
import { renderClientOpenApi } from '../openapi/client-openapi.ts';

loadDotEnv();
const config = loadConfig(process.env);
const logger = createLogger({ level: 'error', name: 'generate-client-openapi' });
const runtime = await startWorkerRuntime({ config, logger, stages: [], migrate: false });
try {
  const app = await buildApp({ config, runtime, logger });
  await app.ready();
  const target = fileURLToPath(
    new URL('../../../../packages/client/src/openapi.generated.ts', import.meta.url),
  );
  await writeFile(target, renderClientOpenApi(app.swagger()));
  await app.close();
  console.error(`wrote ${target}`);
} finally {
  await runtime.close();
}
