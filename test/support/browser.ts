import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildApp } from '@aegis/api';
import { createLogger } from '@aegis/observability';
import { type ApiKeyRole, createApiKeyStore } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from './pipeline-harness.ts';

/** Debian's Chromium (or CHROMIUM_PATH), driven by playwright-core in the browser tests. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** A describe block that runs only where Chromium is installed, and says why it is skipped otherwise. */
export function describeInBrowser(name: string, timeoutMs: number, body: () => void): void {
  if (!HAS_CHROMIUM)
    console.warn(
      `${name} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  describe.skipIf(!HAS_CHROMIUM)(name, { timeout: timeoutMs }, body);
}

/** Launches it with the flags this machine needs: no sandbox as root, no background network (it is closed here). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The real API, listening on a free port, over a pipeline harness (with workers unless `startWorkers` is false). */
export interface ListeningApi {
  harness: PipelineHarness;
  app: FastifyInstance;
  baseUrl: string;
  /** Creates a key and returns its plaintext. */
  key(name: string, roles: ApiKeyRole[], knowledgeBases?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startListeningApi(options: {
  name: string;
  startWorkers?: boolean;
}): Promise<ListeningApi> {
  const pepper = `${options.name}-pepper-0123456789abcdef0123456789`;
  const harness = await createPipelineHarness({
    startWorkers: options.startWorkers,
    env: { API_KEY_PEPPER: pepper, SESSION_SECRET: `${options.name}-session-secret-0123456789abcdef0123` },
  });
  const app = await buildApp({
    config: harness.config,
    runtime: harness.runtime,
    logger: createLogger({ level: 'warn', name: options.name }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const keys = createApiKeyStore({ pool: harness.db.pool, pepper });
  return {
    harness,
    app,
    baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    key: async (name, roles, knowledgeBases) => (await keys.create(name, roles, { knowledgeBases })).key,
    async close() {
      await app.close();
      await harness.close();
    },
  };
}
