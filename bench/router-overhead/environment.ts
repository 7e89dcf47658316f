import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Accounting,
  type CircuitBreaker,
  createBudgetCaps,
  createOpenAiCompatibleProvider,
  createPostgresAccounting,
  createRedisCircuitBreaker,
  createRouter,
  type PostgresAccounting,
  type PriceTable,
  type ProviderAdapter,
  parseRoutingConfig,
  type Router,
  type RoutingConfig,
} from '@aegis/llm-router';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@aegis/testkit';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { type ChildServer, freePort, startChildServer } from './child-server.ts';

export const MODEL = 'gpt-4o';
export const API_KEY = 'sk-bench-router-overhead';

/** Only the model the chain uses; priced, so every router call reserves budget in Postgres. */
const PRICES: PriceTable = {
  version: 'bench-router-overhead-1',
  currency: 'USD',
  models: { [`openai:${MODEL}`]: { inputPerMillion: '2.50', outputPerMillion: '10.00' } },
};

// Every task needs a chain; only `generation` is called. One entry, so there is no fallback to measure.
const ENTRY = { provider: 'openai', model: MODEL };
const ROUTING: RoutingConfig = parseRoutingConfig({
  mode: 'cloud-only',
  tasks: { generation: [ENTRY], extraction: [ENTRY], embedding: [ENTRY], vision: [ENTRY] },
});

/** Large enough that no run comes near it: a refused reservation would end the call early and look fast. */
const BUDGET_USD = '100000';

/** Wraps the router's I/O ports, for the breakdown phase; identity in the comparison itself. */
export interface PortWrappers {
  accounting?(inner: PostgresAccounting): Accounting;
  breaker?(inner: CircuitBreaker): CircuitBreaker;
  provider?(inner: ProviderAdapter): ProviderAdapter;
}

export interface BenchRouter {
  router: Router;
  accounting: PostgresAccounting;
}

export interface Environment {
  /** `http://127.0.0.1:PORT/openai/v1` of the simulator child. */
  openaiBaseUrl: string;
  /** `http://127.0.0.1:PORT` of the Portkey gateway child. */
  gatewayUrl: string;
  sim: ChildServer;
  gateway: ChildServer;
  db: TestDatabase;
  redis: TestRedis;
  /** A router wired as the apps wire it (Postgres budgets + write-behind ledger, Redis breaker), started. */
  makeRouter(wrappers?: PortWrappers): Promise<BenchRouter>;
  /** Closes every router made so far: flushes their ledgers and releases their budget leases. */
  closeRouters(): Promise<void>;
  /** Forgets the simulator's request log, which otherwise grows by one record per request for the whole run. */
  resetSimulator(): Promise<void>;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const SIM_SCRIPT = join(here, '..', '..', 'packages', 'testkit', 'src', 'bin', 'sim.ts');

function gatewayScript(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@portkey-ai/gateway/package.json')), 'build', 'start-server.js');
}

export async function startEnvironment(): Promise<Environment> {
  const gatewayPort = await freePort();
  const [sim, gateway, db] = await Promise.all([
    startChildServer({
      name: 'provider simulator',
      args: [SIM_SCRIPT, '--port', '0'],
      readyPattern: /listening on (http:\/\/\S+)/,
    }),
    startChildServer({
      name: 'portkey gateway',
      // Headless: no log UI, as a production gateway runs. NODE_ENV=production also turns the UI off.
      args: [gatewayScript(), `--port=${gatewayPort}`, '--headless'],
      env: { ...process.env, NODE_ENV: 'production' },
      readyPattern: /(Ready for connections)/,
    }),
    createTestDatabase(),
  ]);
  const redis = createTestRedis();
  // Set once, as an operator would; no router start writes a cap.
  await createBudgetCaps({ pool: db.pool }).applyConfigured(
    { openai: BUDGET_USD },
    { source: 'cli', name: 'bench' },
  );
  const routers: BenchRouter[] = [];
  const breakerClients: Redis[] = [];
  const openaiBaseUrl = `${sim.ready}/openai/v1`;

  async function makeRouter(wrappers: PortWrappers = {}): Promise<BenchRouter> {
    const accounting = createPostgresAccounting({ pool: db.pool });
    // Its own connection, as test/support/router-harness.ts wires it, so cleanup traffic never queues ahead of it.
    const breakerClient = redis.redis.duplicate();
    breakerClients.push(breakerClient);
    const breaker = createRedisCircuitBreaker({ redis: breakerClient, prefix: redis.prefix });
    const provider = createOpenAiCompatibleProvider({
      name: 'openai',
      baseUrl: openaiBaseUrl,
      apiKey: API_KEY,
    });
    const router = createRouter({
      providers: [wrappers.provider ? wrappers.provider(provider) : provider],
      routing: ROUTING,
      prices: PRICES,
      accounting: wrappers.accounting ? wrappers.accounting(accounting) : accounting,
      breaker: wrappers.breaker ? wrappers.breaker(breaker) : breaker,
      registry: new Registry(),
      reaperIntervalMs: 0,
    });
    await router.start();
    const instance = { router, accounting };
    routers.push(instance);
    return instance;
  }

  return {
    openaiBaseUrl,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    sim,
    gateway,
    db,
    redis,
    makeRouter,
    async closeRouters() {
      const open = routers.splice(0);
      const results = await Promise.allSettled(open.map(({ router }) => router.close()));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async resetSimulator() {
      const response = await fetch(`${sim.ready}/__sim/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`simulator reset answered ${response.status}`);
    },
    async close() {
      await Promise.allSettled(routers.splice(0).map(({ router }) => router.close()));
      await Promise.allSettled(breakerClients.map((client) => client.quit()));
      await Promise.allSettled([sim.stop(), gateway.stop()]);
      await redis.cleanup();
      await db.drop();
    },
  };
}
