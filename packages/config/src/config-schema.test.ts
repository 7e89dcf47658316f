import { isAegisError } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config-schema.ts';
import { describeEnv, envKeys } from './describe-env.ts';
import { configProblems, loadConfig } from './load-config.ts';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (isAegisError(error, 'CONFIG_INVALID')) return error.details.problems as string[];
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig defaults', () => {
  it('parses an empty env into the documented defaults', () => {
    const config = loadConfig({});
    expect(config.environment).toBe('development');
    expect(config.isProduction).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.serviceName).toBe('aegis');
    expect(config.database).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/aegis', poolMax: 10 });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', queuePrefix: '{aegis}' });
    expect(config.vectorStore.kind).toBe('postgres');
    expect(config.vectorStore.qdrant).toEqual({
      url: undefined,
      apiKey: undefined,
      collection: 'aegis_documents',
    });
    expect(config.graphStore.neo4j).toEqual({
      uri: undefined,
      user: 'neo4j',
      password: undefined,
      database: 'neo4j',
    });
    expect(config.llm).toMatchObject({
      routingMode: 'local-first',
      localMaxPromptTokens: 3000,
      requestTimeoutMs: 120_000,
      maxOutputTokens: 4096,
      embedBatchSize: 64,
      ollama: { url: 'http://127.0.0.1:11434', healthTtlMs: 10_000 },
      budget: { warnRatio: 0.8, reservationTtlMs: 600_000 },
      breaker: { failureThreshold: 3, baseCooldownMs: 1000, maxCooldownMs: 60_000, probeLeaseMs: 30_000 },
    });
    expect(config.llm.providers.openai).toEqual({
      enabled: false,
      apiKey: undefined,
      baseUrl: 'https://api.openai.com/v1',
      outputCapField: 'max_completion_tokens',
      monthlyBudgetUsd: undefined,
    });
    expect(config.llm.providers.dashscope.outputCapField).toBe('max_tokens');
    // Unset caps are "not configured here": only an explicit value may change a stored cap.
    expect(config.llm.providers.dashscope.monthlyBudgetUsd).toBeUndefined();
    expect(config.llm.providers.groq.monthlyBudgetUsd).toBeUndefined();
    expect(config.llm.providers.openrouter.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(config.api).toEqual({
      host: '127.0.0.1',
      port: 8080,
      uploadMaxBytes: 104_857_600,
      allowedOrigins: [],
      apiKeyPepper: undefined,
      sessionSecret: undefined,
      ingestPathRoots: [],
      rateLimit: { max: 120, windowMs: 60_000 },
      authFailures: { max: 20, windowMs: 60_000 },
      trustProxy: false,
      timeouts: { headersMs: 10_000, requestMs: 300_000, bodyIdleMs: 30_000, keepAliveMs: 72_000 },
    });
    expect(config.watcher).toEqual({ inboxDir: './inbox', stableMs: 2000 });
    expect(config.metrics).toEqual({ port: 9464, host: '127.0.0.1', token: undefined });
  });

  it('reads API_TRUST_PROXY as Fastify takes it, and refuses a headers timeout above the request timeout', () => {
    expect(loadConfig({ API_TRUST_PROXY: 'true' }).api.trustProxy).toBe(true);
    expect(loadConfig({ API_TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ API_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).api.trustProxy).toBe(
      '10.0.0.0/8,127.0.0.1',
    );
    expect(() => loadConfig({ API_TRUST_PROXY: 'yes please' })).toThrow(/API_TRUST_PROXY/);
    expect(() => loadConfig({ API_HEADERS_TIMEOUT_MS: '20000', API_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      /API_HEADERS_TIMEOUT_MS/,
    );
  });

  it('treats empty and blank strings as unset', () => {
    const config = loadConfig({
      API_PORT: '',
      LOG_LEVEL: '   ',
      OPENAI_API_KEY: '',
      BUDGET_GROQ_MONTHLY_USD: '',
    });
    expect(config.api.port).toBe(8080);
    expect(config.logLevel).toBe('info');
    expect(config.llm.providers.openai.enabled).toBe(false);
    expect(config.llm.providers.groq.monthlyBudgetUsd).toBeUndefined();
  });

  it('builds typed values from set variables', () => {
    const config = loadConfig({
      ENVIRONMENT: 'test',
      DATABASE_POOL_MAX: '25',
      OPENAI_API_KEY: 'sk-test-key',
      BUDGET_OPENAI_MONTHLY_USD: '12.345678',
      BUDGET_GROQ_MONTHLY_USD: 'unlimited',
      ALLOWED_ORIGINS: 'http://localhost:3000, https://admin.example.com',
      VECTOR_STORE: 'qdrant',
      QDRANT_URL: 'http://127.0.0.1:6333',
      GRAPH_STORE: 'neo4j',
      NEO4J_URI: 'neo4j://127.0.0.1:7687',
      BUDGET_WARN_RATIO: '0.9',
    });
    expect(config.database.poolMax).toBe(25);
    expect(config.llm.providers.openai).toMatchObject({ enabled: true, apiKey: 'sk-test-key' });
    expect(config.llm.providers.openai.monthlyBudgetUsd).toBe('12.345678');
    expect(config.llm.providers.groq.monthlyBudgetUsd).toBeNull();
    expect(config.api.allowedOrigins).toEqual(['http://localhost:3000', 'https://admin.example.com']);
    expect(config.vectorStore).toMatchObject({ kind: 'qdrant', qdrant: { url: 'http://127.0.0.1:6333' } });
    expect(config.graphStore).toMatchObject({ kind: 'neo4j', neo4j: { uri: 'neo4j://127.0.0.1:7687' } });
    expect(config.llm.budget.warnRatio).toBe(0.9);
  });

  it('ignores unrelated process variables', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});

describe('loadConfig errors', () => {
  const bad: Record<string, string> = {
    ENVIRONMENT: 'staging',
    LOG_LEVEL: 'verbose',
    DATABASE_URL: 'mysql://localhost/aegis',
    DATABASE_POOL_MAX: '0',
    REDIS_URL: 'not a url',
    QUEUE_PREFIX: 'aegis',
    VECTOR_STORE: 'pinecone',
    API_PORT: '70000',
    METRICS_PORT: '1e3',
    UPLOAD_MAX_BYTES: '-5',
    BUDGET_OPENAI_MONTHLY_USD: '1.1234567',
    BUDGET_GROQ_MONTHLY_USD: '-1',
    BUDGET_WARN_RATIO: '1.5',
    OLLAMA_URL: 'ftp://127.0.0.1',
    ALLOWED_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
    LLM_REQUEST_TIMEOUT_MS: '12.5',
  };

  it('throws CONFIG_INVALID with exactly one problem per bad key', () => {
    const problems = problemsOf(bad);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(Object.keys(bad).sort());
  });

  it('lists every problem in the message, one per line', () => {
    let message = '';
    try {
      loadConfig(bad);
    } catch (error) {
      expect(isAegisError(error, 'CONFIG_INVALID')).toBe(true);
      message = (error as Error).message;
    }
    for (const key of Object.keys(bad)) {
      expect(message.split('\n').filter((line) => line.includes(`- ${key}:`))).toHaveLength(1);
    }
  });

  it('never echoes a URL value, which may carry a password', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://u:hunter2pass@db/aegis' });
    expect(problems).toHaveLength(1);
    expect(problems.join('\n')).not.toContain('hunter2pass');
  });

  it('requires QDRANT_URL / NEO4J_URI when those stores are selected, in every environment', () => {
    for (const ENVIRONMENT of ['development', 'test'] as const) {
      const problems = problemsOf({ ENVIRONMENT, VECTOR_STORE: 'qdrant', GRAPH_STORE: 'neo4j' });
      expect(problems.map((p) => p.split(':')[0])).toEqual(['QDRANT_URL', 'NEO4J_URI']);
    }
  });

  it('rejects a base breaker cooldown above the maximum', () => {
    expect(configProblems({ BREAKER_BASE_COOLDOWN_MS: '5000', BREAKER_MAX_COOLDOWN_MS: '1000' })).toEqual([
      expect.stringMatching(/^BREAKER_MAX_COOLDOWN_MS: /),
    ]);
  });

  it('keeps the sandbox limits consistent: heap below memory, recycle at most memory, all sandboxes within the worker', () => {
    expect(configProblems({ SANDBOX_MEMORY_LIMIT_MB: '512', SANDBOX_HEAP_LIMIT_MB: '512' })).toEqual([
      expect.stringMatching(/^SANDBOX_HEAP_LIMIT_MB: /),
    ]);
    expect(configProblems({ SANDBOX_RECYCLE_RSS_MB: '1000' })).toEqual([
      expect.stringMatching(/^SANDBOX_RECYCLE_RSS_MB: /),
    ]);
    expect(configProblems({ SANDBOX_PROCESSES: '3' })).toEqual([
      expect.stringMatching(/^WORKER_MEMORY_LIMIT_MB: /),
    ]);
    expect(configProblems({ SANDBOX_PROCESSES: '3', WORKER_MEMORY_LIMIT_MB: '4096' })).toEqual([]);
  });

  it('accepts * in ALLOWED_ORIGINS outside production', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: '*' }).api.allowedOrigins).toEqual(['*']);
  });
});

describe('schema documentation', () => {
  it('describes every key, with a default or as optional', () => {
    const described = describeEnv();
    expect(described.map((d) => d.key)).toEqual(envKeys());
    expect(envKeys()).toEqual(Object.keys(configSchema.shape));
    for (const d of described) expect(d.description.length, d.key).toBeGreaterThan(10);
    const secrets = described.filter((d) => d.secret).map((d) => d.key);
    expect(secrets.sort()).toEqual(
      [
        'AEGIS_API_KEY',
        'API_KEY_PEPPER',
        'DASHSCOPE_API_KEY',
        'GROQ_API_KEY',
        'METRICS_TOKEN',
        'NEO4J_PASSWORD',
        'OPENAI_API_KEY',
        'OPENROUTER_API_KEY',
        'QDRANT_API_KEY',
        'SESSION_SECRET',
      ].sort(),
    );
    // A secret with a default would be a shared, public credential.
    for (const d of described.filter((x) => x.secret)) expect(d.default, d.key).toBeUndefined();
  });

  it('has defaults that parse with the same rules as user values', () => {
    const env = Object.fromEntries(
      describeEnv()
        .filter((d) => d.default !== undefined)
        .map((d) => [d.key, d.default]),
    );
    expect(configSchema.safeParse(env).success).toBe(true);
  });
});
