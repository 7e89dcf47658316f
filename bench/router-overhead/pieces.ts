/**
 * Diagnostic companion of run.ts: the router's I/O pieces alone, without HTTP, so their cost can be told apart
 * from the rest. `npx node bench/router-overhead/pieces.ts`. Prints a table; writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { createBudgetCaps, createPostgresAccounting, createRedisCircuitBreaker } from '@aegis/llm-router';
import { createTestDatabase, createTestRedis } from '@aegis/testkit';
import pg from 'pg';
import { type Call, runBlock } from './load.ts';
import { roundMs, summarize } from './stats.ts';

const ROUNDS = 3;
const COUNTS: Record<number, number> = { 1: 1_500, 32: 4_000 };

async function measure(name: string, concurrency: number, call: Call): Promise<void> {
  const count = COUNTS[concurrency] ?? 1_000;
  const scratch: number[] = [];
  await runBlock(call, Math.min(count, 500), concurrency, scratch);
  const samples: number[] = [];
  let wall = 0;
  for (let round = 0; round < ROUNDS; round += 1) wall += await runBlock(call, count, concurrency, samples);
  const summary = summarize(samples, wall);
  console.log(
    `| ${name} | ${concurrency} | ${roundMs(summary.p50)} | ${roundMs(summary.p99)} | ${roundMs(summary.mean)} | ${Math.round(summary.throughputPerSec)} |`,
  );
}

const db = await createTestDatabase();
const redis = createTestRedis();
// Same schema, more connections / no WAL flush wait: to tell pool queueing and commit cost from the statement.
const pool32 = new pg.Pool({ connectionString: db.connectionString, max: 32 });
const poolAsync = new pg.Pool({
  connectionString: `${db.connectionString}${encodeURIComponent(' -c synchronous_commit=off')}`,
  max: 10,
});
const breakerClient = redis.redis.duplicate();
try {
  const accounting = createPostgresAccounting({ pool: db.pool });
  const accounting32 = createPostgresAccounting({ pool: pool32 });
  const accountingAsync = createPostgresAccounting({ pool: poolAsync });
  await createBudgetCaps({ pool: db.pool }).applyConfigured(
    { openai: '100000000' },
    { source: 'cli', name: 'bench' },
  );
  const breaker = createRedisCircuitBreaker({ redis: breakerClient, prefix: redis.prefix });
  const reserve =
    (target: typeof accounting): Call =>
    () =>
      target.reserve({
        provider: 'openai',
        amountUsd: '0.000700',
        holder: 'bench',
        ttlMs: 600_000,
        context: { requestGroup: randomUUID(), attempt: 1, model: 'gpt-4o', task: 'generation' },
      });
  const select1: Call = () => db.pool.query('select 1');
  const ping: Call = () => redis.redis.ping();
  const acquire: Call = () => breaker.acquire('openai:bench');

  console.log('| piece | concurrency | p50 ms | p99 ms | mean ms | per second |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const concurrency of [1, 32]) {
    await measure('redis PING', concurrency, ping);
    await measure('breaker acquire (EVALSHA)', concurrency, acquire);
    await measure('postgres select 1 (pool 10)', concurrency, select1);
    await measure('budget reserve (pool 10)', concurrency, reserve(accounting));
    await measure('budget reserve (pool 32)', concurrency, reserve(accounting32));
    await measure('budget reserve (pool 10, synchronous_commit=off)', concurrency, reserve(accountingAsync));
  }
} finally {
  await Promise.allSettled([pool32.end(), poolAsync.end(), breakerClient.quit()]);
  await redis.cleanup();
  await db.drop();
}
