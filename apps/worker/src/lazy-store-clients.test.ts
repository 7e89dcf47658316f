import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Loads what the worker, API, watcher and CLI load (@aegis/worker), builds the stores the environment picks
 * and prints the URL of every module loaded on the way (a module.registerHooks load hook, so CommonJS
 * `require`s count too).
 */
const CHILD = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
const { loadConfig } = await import('@aegis/config');
const { storesFromConfig } = await import('@aegis/worker');
const { default: pg } = await import('pg');
const pool = new pg.Pool();
const { vectors, graph } = await storesFromConfig(loadConfig(process.env), pool);
await Promise.all([vectors.close(), graph.close(), pool.end()]);
process.stdout.write(JSON.stringify({ vectors: vectors.kind, graph: graph.kind, loaded }));
`;

async function modulesLoaded(
  env: Record<string, string>,
): Promise<{ vectors: string; graph: string; loaded: string[] }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', CHILD], {
    cwd: REPO_ROOT,
    // Only what the case sets: a developer's VECTOR_STORE or GRAPH_STORE must not leak in.
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/** The clients of the optional stores: each costs about 25 MiB resident once imported. */
const STORE_CLIENTS = [
  '/node_modules/neo4j-driver/',
  '/node_modules/@qdrant/js-client-rest/',
  '/node_modules/undici/',
];

function clientsIn(loaded: string[]): string[] {
  return STORE_CLIENTS.filter((client) => loaded.some((url) => url.includes(client)));
}

describe('store clients load only when the configuration picks their store', () => {
  it('a lite (Postgres) process never loads neo4j-driver, @qdrant/js-client-rest or undici', async () => {
    const child = await modulesLoaded({ VECTOR_STORE: 'postgres', GRAPH_STORE: 'postgres' });
    expect([child.vectors, child.graph]).toEqual(['postgres', 'postgres']);
    expect(child.loaded.some((url) => url.endsWith('/apps/worker/src/runtime.ts'))).toBe(true);
    expect(clientsIn(child.loaded)).toEqual([]);
  });

  it('a process configured for Qdrant and Neo4j loads their clients (the trace sees them)', async () => {
    const child = await modulesLoaded({
      VECTOR_STORE: 'qdrant',
      QDRANT_URL: 'http://127.0.0.1:1',
      GRAPH_STORE: 'neo4j',
      NEO4J_URI: 'bolt://127.0.0.1:1',
    });
    expect([child.vectors, child.graph]).toEqual(['qdrant', 'neo4j']);
    expect(clientsIn(child.loaded)).toEqual(STORE_CLIENTS);
  });
});
