import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { type AegisClient, createAegisClient } from '@aegis/client';
import { AegisError } from '@aegis/core';
import type { Command } from 'commander';
import { globalOptions } from './cli-command.ts';

/** How a command reaches the system. */
export interface Connection {
  /** The same typed client in both modes. */
  client: AegisClient;
  mode: 'local' | 'remote';
  /** Where it talks to: the remote URL, or "local (DATABASE_URL host)". */
  target: string;
  close(): Promise<void>;
}

/** The remote API chosen by `--url`/`--api-key` or AEGIS_URL/AEGIS_API_KEY; undefined means local mode. */
export async function remoteSettings(
  command: Command,
): Promise<{ url: string; apiKey: string | undefined } | undefined> {
  const { loadCliRemoteSettings } = await import('@aegis/config');
  const options = globalOptions(command);
  const settings = loadCliRemoteSettings({
    ...process.env,
    ...(options.url !== undefined ? { AEGIS_URL: options.url } : {}),
    ...(options.apiKey !== undefined ? { AEGIS_API_KEY: options.apiKey } : {}),
  });
  return settings.url === undefined ? undefined : { url: settings.url, apiKey: settings.apiKey };
}

/**
 * Remote mode (`--url` or AEGIS_URL): the client talks HTTP to that API with the given key. Local mode: the
 * API is built in this process over the local Redis and Postgres and served through `app.inject` (no port is
 * opened); requests act as the shell user (`cli:<user>`, an admin), as they could reach Postgres directly.
 * Either way the command runs the same client code against the same routes.
 */
export async function connect(command: Command): Promise<Connection> {
  const remote = await remoteSettings(command);
  if (remote) {
    if (!remote.apiKey)
      throw new AegisError(
        'UNAUTHENTICATED',
        `An API key is needed for ${remote.url}: --api-key or AEGIS_API_KEY.`,
      );
    return {
      client: createAegisClient({ baseUrl: remote.url, apiKey: remote.apiKey }),
      mode: 'remote',
      target: remote.url,
      close: async () => {},
    };
  }
  const [{ loadConfig }, { startWorkerRuntime, createAppLogger }, { buildApp, createInjectFetch }] =
    await Promise.all([import('@aegis/config'), import('@aegis/worker'), import('@aegis/api')]);
  const config = loadConfig(process.env);
  // stderr, so stdout stays the command's output (one JSON document under --json); errors only: the in-process
  // API's start-up notes (session secret, ...) concern servers, not a command.
  const logger = createAppLogger(config, { level: 'error', name: 'aegis-cli', destination: process.stderr });
  const runtime = await startWorkerRuntime({ config, logger, stages: [] });
  try {
    const token = randomBytes(32).toString('base64url');
    const app = await buildApp({
      config,
      runtime,
      logger,
      localOperator: { token, name: `cli:${userInfo().username}` },
    });
    await app.ready();
    return {
      client: createAegisClient({
        baseUrl: 'http://aegis.local',
        apiKey: token,
        fetch: createInjectFetch(app),
      }),
      mode: 'local',
      target: 'local',
      async close() {
        await app.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/** Runs `work` with a connection and always closes it. */
export async function withConnection<T>(
  command: Command,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(command);
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}
