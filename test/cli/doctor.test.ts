import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { startPrivateRedis } from '@aegis/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningApi, listenApi, runAegis } from '../support/cli.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const PEPPER = randomBytes(24).toString('hex');

/** A loopback port nothing listens on (fetch refuses well-known ports such as 1 outright). */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

interface Finding {
  id: string;
  status: string;
  fix?: string;
}

/** The lines of a doctor run that report a failure (✗), each with its fix line. */
const failures = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('✗'));

/**
 * `aegis doctor` and `/readyz` on the failures people met: nothing could embed and both said all was well; one
 * Postgres outage gave four lines; Redis printed its client's retry chatter; the eviction fix ignored the
 * configured server; the Ollama fix suggested a cloud mode with no cloud key.
 */
describe('aegis doctor tells the truth', { timeout: 300_000 }, () => {
  let harness: PipelineHarness;
  let api: ListeningApi;
  let key: string;
  let dead: string;
  beforeAll(async () => {
    dead = `http://127.0.0.1:${await closedPort()}`;
    // Ollama is down and no cloud provider has a key: nothing can embed or extract.
    harness = await createPipelineHarness({
      startWorkers: false,
      env: { API_KEY_PEPPER: PEPPER, OLLAMA_URL: dead, OPENAI_API_KEY: '', DASHSCOPE_API_KEY: '' },
    });
    api = await listenApi(harness, PEPPER);
    key = await api.key('doctor-reader', ['read']);
  });
  afterAll(async () => {
    await api?.close();
    await harness?.close();
  });
  const doctor = (env: Record<string, string> = {}, args: string[] = []) =>
    runAegis(['doctor', ...args], { ...harness.env, ...env });

  it('fails when no provider can extract, with one fix for this configuration; /readyz says the same', async () => {
    const result = await doctor();
    expect(result.code).toBe(1);
    // The in-process static embedder still embeds; nothing can extract the graph.
    expect(result.stdout).toMatch(/✓ Embedding: static /);
    expect(result.stdout).toMatch(
      /✗ Extraction \(graph\): no provider can serve it now: ollama llama3\.1:8b: ollama is unreachable \(ECONNREFUSED\)/,
    );
    const fix = /✗ Extraction \(graph\):.*\n\s+fix: (.*)/.exec(result.stdout)?.[1] ?? '';
    expect(fix).toContain(
      `start Ollama (\`ollama serve\`) or point OLLAMA_URL (now ${dead}) at a running one`,
    );
    expect(fix).toMatch(/set DASHSCOPE_API_KEY/);
    // No cloud key exists: switching to a cloud mode cannot help, so it is not suggested.
    expect(result.stdout).not.toMatch(/cloud-only/);
    expect(result.stdout).toMatch(/must be fixed before documents can be processed/);

    const local = JSON.parse((await doctor({}, ['--json'])).stdout) as { ok: boolean; findings: Finding[] };
    const ready = await fetch(`${api.url}/readyz`, { headers: { authorization: `Bearer ${key}` } });
    expect(ready.status).toBe(503);
    const served = (await ready.json()) as { status: string; checks: Finding[] };
    const statuses = (findings: Finding[]) =>
      Object.fromEntries(findings.filter((f) => f.id !== 'workers').map((f) => [f.id, f.status]));
    expect(statuses(served.checks)).toEqual(statuses(local.findings));
    expect(local.ok).toBe(false);

    const remote = await runAegis(['doctor', '--url', api.url, '--api-key', key]);
    expect(remote.code).toBe(1);
    expect(remote.stdout).toMatch(/✗ Extraction \(graph\): no provider can serve it now/);
  });

  it('with a cloud key the cloud embeds; a knowledge base bound to Ollama cannot be served by it', async () => {
    const cloud = {
      OPENAI_API_KEY: 'sk-sim-openai',
      OPENAI_BASE_URL: harness.sim.openaiBaseUrl('openai'),
      DASHSCOPE_API_KEY: 'sk-sim-dashscope',
      DASHSCOPE_BASE_URL: harness.sim.openaiBaseUrl('dashscope'),
    };
    const served = await doctor(cloud);
    expect(served.code, served.stdout).toBe(0);
    expect(served.stdout).toMatch(/✓ Embedding: openai text-embedding-3-small/);
    await harness.db.pool.query(
      `UPDATE knowledge_bases SET embedding_provider = 'ollama', embedding_model = 'bge-m3', bound_at = now() WHERE name = 'default'`,
    );
    try {
      const bound = await doctor(cloud);
      expect(bound.code).toBe(1);
      expect(bound.stdout).toMatch(
        /✗ Embedding \(knowledge base default\): bound to ollama bge-m3; no provider can serve it now/,
      );
      const fix = /✗ Embedding \(knowledge base default\):.*\n\s+fix: (.*)/.exec(bound.stdout)?.[1] ?? '';
      expect(fix).toMatch(/start Ollama/);
      // Another model would write a second vector space into the base: never offered as a fix.
      expect(fix).not.toMatch(/OPENAI/);
    } finally {
      await harness.db.pool.query(
        `UPDATE knowledge_bases SET embedding_provider = NULL, embedding_model = NULL, bound_at = NULL WHERE name = 'default'`,
      );
    }
  });

  it('a spent budget is a cause with its own fix', async () => {
    const cloud = { OPENAI_API_KEY: 'sk-sim-openai', OPENAI_BASE_URL: harness.sim.openaiBaseUrl('openai') };
    const cap = await runAegis(['budgets', 'set', 'openai', '0'], { ...harness.env, ...cloud });
    expect(cap.code, cap.stderr).toBe(0);
    const result = await doctor(cloud);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/openai text-embedding-3-small: monthly budget spent/);
    expect(result.stdout).toMatch(/aegis budgets set openai <usd>/);
    await runAegis(['budgets', 'set', 'openai', 'unlimited'], { ...harness.env, ...cloud });
  });

  it('Postgres down is one line with one fix, not one per table', async () => {
    const result = await doctor({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/aegis',
      OLLAMA_URL: harness.sim.ollamaUrl,
    });
    expect(result.code).toBe(1);
    expect(failures(result.stdout)).toEqual([
      '✗ Postgres: Postgres at 127.0.0.1:1/aegis refused the connection (nothing listens there)',
    ]);
    expect(result.stdout).toMatch(
      /fix: start Postgres at 127\.0\.0\.1:1, or point DATABASE_URL at a running one/,
    );
    expect(result.stdout).not.toMatch(/migrate/);
    expect(result.stdout).toMatch(
      /· not checked until Postgres works: Vector store \(postgres\), Graph store \(postgres\), Embedding/,
    );
  });

  it('Redis down says so plainly, without the client library retry text', async () => {
    const result = await doctor({ REDIS_URL: 'redis://127.0.0.1:1', OLLAMA_URL: harness.sim.ollamaUrl });
    expect(result.code).toBe(1);
    expect(failures(result.stdout)).toEqual([
      '✗ Redis: Redis at 127.0.0.1:1 refused the connection (nothing listens there)',
    ]);
    expect(result.stdout + result.stderr).not.toMatch(/max retries|MaxRetriesPerRequest|ECONNREFUSED 127/);
  });

  it('an evicting Redis gets a fix for the configured server', async () => {
    const redis = await startPrivateRedis();
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const result = await doctor({ REDIS_URL: redis.url, OLLAMA_URL: harness.sim.ollamaUrl });
      expect(result.code).toBe(1);
      expect(failures(result.stdout)).toEqual([
        '✗ Redis eviction policy: maxmemory-policy is allkeys-lru: Redis may evict queue keys and lose jobs',
      ]);
      expect(result.stdout).toContain(
        `fix: redis-cli -h 127.0.0.1 -p ${redis.port} CONFIG SET maxmemory-policy noeviction`,
      );
    } finally {
      admin.disconnect();
      await redis.stop();
    }
  });

  it('passes on a healthy setup (exit 0), warning only about what is optional', async () => {
    const result = await doctor({ OLLAMA_URL: harness.sim.ollamaUrl });
    expect(result.code, result.stdout).toBe(0);
    expect(failures(result.stdout)).toEqual([]);
    expect(result.stdout).toMatch(/✓ Embedding: ollama bge-m3/);
    expect(result.stdout).toMatch(/All required checks passed/);
  });
});
