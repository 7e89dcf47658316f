import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildApp } from '@aegis/api';
import { createLogger } from '@aegis/observability';
import { type ApiKeyRole, createApiKeyStore } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import type { PipelineHarness } from './pipeline-harness.ts';

const run = promisify(execFile);
export const CLI_MAIN = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));

export interface CliResult {
  /** The exit code (null when the process was killed by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `aegis` as a user would (its own process), with `env` on top of this process's environment. */
export function runAegis(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<CliResult> {
  return run(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  }).then(
    (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
    (error: { code: number | null; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

export interface ListeningApi {
  app: FastifyInstance;
  url: string;
  /** Creates an API key and returns its plaintext. */
  key(name: string, roles: ApiKeyRole[]): Promise<string>;
  close(): Promise<void>;
}

/** The real API over a harness's runtime, listening on a free loopback port. */
export async function listenApi(harness: PipelineHarness, pepper: string): Promise<ListeningApi> {
  const app = await buildApp({
    config: harness.config,
    runtime: harness.runtime,
    logger: createLogger({ level: 'error', name: 'test-api' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const keys = createApiKeyStore({ pool: harness.db.pool, pepper });
  return {
    app,
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    key: async (name, roles) => (await keys.create(name, roles)).key,
    close: () => app.close(),
  };
}
