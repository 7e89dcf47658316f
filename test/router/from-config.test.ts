import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import { createRouterFromConfig } from '@aegis/llm-router';
import {
  createTestDatabase,
  createTestRedis,
  type ProviderSimulator,
  startProviderSimulator,
  type TestDatabase,
  type TestRedis,
} from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('createRouterFromConfig', () => {
  let sim: ProviderSimulator;
  let db: TestDatabase;
  let redis: TestRedis;
  let dir: string;

  beforeAll(async () => {
    [sim, db] = await Promise.all([startProviderSimulator(), createTestDatabase()]);
    redis = createTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'aegis-config-'));
  });
  afterAll(async () => {
    await sim.close();
    await redis.cleanup();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) =>
    loadConfig({
      OLLAMA_URL: sim.ollamaUrl,
      DASHSCOPE_API_KEY: 'sk-dashscope-test',
      DASHSCOPE_BASE_URL: sim.openaiBaseUrl('dashscope'),
      OPENAI_BASE_URL: sim.openaiBaseUrl('openai'),
      QUEUE_PREFIX: `{${redis.prefix}}`,
      ...extra,
    });

  it('wires providers and the routing file from configuration, and writes no budget cap', async () => {
    const routingFile = join(dir, 'routing.json');
    await writeFile(
      routingFile,
      JSON.stringify({
        tasks: {
          generation: [
            { provider: 'ollama', model: 'llama3.1:8b' },
            { provider: 'dashscope', model: 'qwen-turbo' },
          ],
          extraction: [{ provider: 'dashscope', model: 'qwen-turbo' }],
          embedding: [{ provider: 'ollama', model: 'bge-m3' }],
          vision: [{ provider: 'dashscope', model: 'qwen3-vl-30b-a3b-instruct' }],
        },
      }),
    );
    const { router, providers } = await createRouterFromConfig(
      env({
        LLM_ROUTING_FILE: routingFile,
        LLM_ROUTING_MODE: 'cloud-only',
        // Only `aegis migrate` applies these; a process start must leave the stored caps alone.
        BUDGET_DASHSCOPE_MONTHLY_USD: '1.5',
        BUDGET_OPENAI_MONTHLY_USD: 'unlimited',
      }),
      {
        pool: db.pool,
        redis: redis.redis,
      },
    );
    await router.start();
    expect(providers.find((provider) => provider.name === 'openai')?.disabledReason).toMatch(/no API key/);
    const result = await router.generate({
      task: 'generation',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(result.provider).toBe('dashscope');
    const { rows } = await db.pool.query<{ provider: string; limit_usd: string | null }>(
      'select provider, limit_usd from llm_budget_limits order by provider',
    );
    expect(rows).toContainEqual({ provider: 'dashscope', limit_usd: '10.000000000000' });
    expect(rows).toContainEqual({ provider: 'openai', limit_usd: '20.000000000000' });
    await router.close();
  });

  it('refuses an unreadable or invalid routing file, and a chain model without a price, with CONFIG_INVALID', async () => {
    const connections = { pool: db.pool, redis: redis.redis };
    const missing = await createRouterFromConfig(
      env({ LLM_ROUTING_FILE: join(dir, 'nope.json') }),
      connections,
    ).catch((error: unknown) => error);
    expect(isAegisError(missing, 'CONFIG_INVALID')).toBe(true);

    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, '{"tasks": {"generation": []}}');
    const parsed = await createRouterFromConfig(env({ LLM_ROUTING_FILE: invalid }), connections).catch(
      (error: unknown) => error,
    );
    expect(isAegisError(parsed, 'CONFIG_INVALID')).toBe(true);

    const unpriced = join(dir, 'unpriced.json');
    const chain = [{ provider: 'dashscope', model: 'qwen-unknown' }];
    await writeFile(
      unpriced,
      JSON.stringify({ tasks: { generation: chain, extraction: chain, embedding: chain, vision: chain } }),
    );
    const error = await createRouterFromConfig(env({ LLM_ROUTING_FILE: unpriced }), connections).catch(
      (caught: unknown) => caught,
    );
    expect(isAegisError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('no price for dashscope:qwen-unknown');
  });
});
