import {
  type Accounting,
  type CircuitBreaker,
  createOllamaProvider,
  createOpenAiCompatibleProvider,
  createPostgresAccounting,
  createRedisCircuitBreaker,
  createRouter,
  type PriceTable,
  type ProviderAdapter,
  parseRoutingConfig,
  type Router,
  type RouterOptions,
  type RoutingConfig,
} from '@aegis/llm-router';
import {
  createTestDatabase,
  createTestRedis,
  type ProviderSimulator,
  type SimulatorOptions,
  startProviderSimulator,
  type TestDatabase,
  type TestRedis,
} from '@aegis/testkit';
import { Registry } from 'prom-client';

export const TEST_PRICES: PriceTable = {
  version: 'test-2026-11',
  currency: 'USD',
  models: {
    'ollama:*': { inputPerMillion: '0', outputPerMillion: '0' },
    'openai:gpt-4o': {
      inputPerMillion: '2.50',
      cachedInputPerMillion: '1.25',
      outputPerMillion: '10.00',
      maxImageTokens: 1105,
    },
    'openai:gpt-4o-mini': {
      inputPerMillion: '0.15',
      cachedInputPerMillion: '0.075',
      outputPerMillion: '0.60',
    },
    'openai:text-embedding-3-small': { inputPerMillion: '0.02', outputPerMillion: '0' },
    'dashscope:qwen-turbo': { inputPerMillion: '0.05', outputPerMillion: '0.20' },
    'dashscope:qwen-plus': {
      inputPerMillion: '0.40',
      cachedInputPerMillion: '0.16',
      outputPerMillion: '1.20',
    },
    'dashscope:qwen3-vl-30b-a3b-instruct': {
      inputPerMillion: '0.20',
      outputPerMillion: '0.80',
      maxImageTokens: 16384,
    },
    'groq:llama-3.1-8b-instant': { inputPerMillion: '0.05', outputPerMillion: '0.08' },
  },
};

export const TEST_ROUTING: RoutingConfig = parseRoutingConfig({
  mode: 'local-first',
  tasks: {
    generation: [
      { provider: 'ollama', model: 'llama3.1:8b' },
      { provider: 'dashscope', model: 'qwen-plus' },
      { provider: 'openai', model: 'gpt-4o' },
    ],
    extraction: [
      { provider: 'ollama', model: 'llama3.1:8b' },
      { provider: 'dashscope', model: 'qwen-turbo' },
      { provider: 'openai', model: 'gpt-4o-mini' },
    ],
    embedding: [
      { provider: 'ollama', model: 'bge-m3' },
      { provider: 'openai', model: 'text-embedding-3-small', dimensions: 1024 },
    ],
    vision: [
      { provider: 'ollama', model: 'qwen2.5vl:7b' },
      { provider: 'dashscope', model: 'qwen3-vl-30b-a3b-instruct' },
      { provider: 'openai', model: 'gpt-4o' },
    ],
  },
});

export interface RouterHarness {
  sim: ProviderSimulator;
  db: TestDatabase;
  redis: TestRedis;
  /** Builds another router instance (its own accounting, breaker client and registry) on the same Postgres, Redis and simulator: a second "process". */
  makeRouter(overrides?: Partial<RouterOptions>): RouterInstance;
  /** Forgets simulator faults and logs and every breaker state, so each test starts from closed breakers. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface RouterInstance {
  router: Router;
  providers: ProviderAdapter[];
  accounting: Accounting;
  breaker: CircuitBreaker;
  registry: Registry;
}

export interface HarnessOptions {
  sim?: SimulatorOptions;
  /** Providers given an API key; the rest are configured without one (disabled). Default all. */
  keyed?: string[];
}

const CLOUD = ['dashscope', 'openai', 'groq', 'openrouter'];

/** A simulator, a private Postgres schema and a Redis prefix, and routers wired to them exactly as apps wire them. */
export async function createRouterHarness(options: HarnessOptions = {}): Promise<RouterHarness> {
  const [sim, db] = await Promise.all([startProviderSimulator(options.sim), createTestDatabase()]);
  const redis = createTestRedis();
  const instances: RouterInstance[] = [];
  const keyed = new Set(options.keyed ?? CLOUD);

  function makeRouter(overrides: Partial<RouterOptions> = {}): RouterInstance {
    const registry = new Registry();
    const accounting = createPostgresAccounting({ pool: db.pool, flushIntervalMs: 10 });
    const breaker = createRedisCircuitBreaker({ redis: redis.redis.duplicate(), prefix: redis.prefix });
    const providers = [
      createOllamaProvider({ baseUrl: sim.ollamaUrl }),
      ...CLOUD.map((name) =>
        createOpenAiCompatibleProvider({
          name,
          baseUrl: sim.openaiBaseUrl(name),
          apiKey: keyed.has(name) ? `sk-test-${name}` : undefined,
        }),
      ),
    ];
    const router = createRouter({
      providers,
      routing: TEST_ROUTING,
      prices: TEST_PRICES,
      accounting,
      breaker,
      registry,
      requestTimeoutMs: 10_000,
      reaperIntervalMs: 0,
      ...overrides,
    });
    const instance = {
      router,
      providers: overrides.providers ? [...overrides.providers] : providers,
      accounting,
      breaker,
      registry,
    };
    instances.push(instance);
    return instance;
  }

  return {
    sim,
    db,
    redis,
    makeRouter,
    async reset() {
      sim.reset();
      let cursor = '0';
      do {
        const [next, keys] = await redis.redis.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.redis.unlink(...keys);
      } while (cursor !== '0');
    },
    async close() {
      await Promise.allSettled(instances.map((instance) => instance.router.close()));
      await sim.close();
      await redis.cleanup();
      await db.drop();
    },
  };
}

export interface LedgerRowRecord {
  id: string;
  request_group: string;
  attempt: number;
  provider: string;
  model: string;
  task: string;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  images: number;
  usage_source: string;
  cost_usd: string;
  status: string;
  error_code: string | null;
  http_status: number | null;
  document_id: string | null;
  stage: string | null;
  user_id: string | null;
}

export async function ledgerRows(
  db: TestDatabase,
  where = 'true',
  params: unknown[] = [],
): Promise<LedgerRowRecord[]> {
  const result = await db.pool.query<LedgerRowRecord>(
    `select * from llm_ledger where ${where} order by created_at, attempt`,
    params,
  );
  return result.rows;
}

/** The breaker key the router uses for a provider of this instance. */
export function breakerKey(instance: RouterInstance, provider: string): string {
  const adapter = instance.providers.find((candidate) => candidate.name === provider);
  if (!adapter) throw new Error(`no provider ${provider} in this router instance`);
  return adapter.breakerKey;
}
