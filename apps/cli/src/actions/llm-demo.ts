import { loadConfig } from '@aegis/config';
import { createRouterFromConfig, monthlyCosts } from '@aegis/llm-router';
import { createLogger } from '@aegis/observability';
import { createPostgresPool } from '@aegis/stores';
import { startProviderSimulator } from '@aegis/testkit';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { z } from 'zod';
import { simulatedProviderEnv } from '../simulated-env.ts';
import { cleanupOnInterrupt, createDemoSandbox, DemoResources } from './demo-sandbox.ts';

/**
 * Runs the router end to end with only Redis and Postgres: the provider simulator stands in for Ollama and
 * the cloud APIs (same wire protocols), every call is budgeted, ledgered and metered for real.
 */
export async function runLlmDemo(): Promise<void> {
  const base = loadConfig(process.env);
  // Its own schema (ledger, budgets, leases) and queue prefix (breakers), removed at the end or on Ctrl-C.
  const sandbox = await createDemoSandbox({ databaseUrl: base.database.url, redisUrl: base.redis.url });
  const resources = new DemoResources();
  const removeHandlers = cleanupOnInterrupt(async () => {
    await resources.closeAll();
    await sandbox.teardown();
  });
  const sim = await resources.own(startProviderSimulator(), (started) => started.close());
  const config = loadConfig({
    ...process.env,
    ...simulatedProviderEnv(sim),
    ...sandbox.env,
  });
  console.log(
    `NOTE: every model here is SIMULATED (provider simulator at ${sim.url}); costs use the configured price table. Sandbox ${sandbox.id}: schema ${sandbox.schema}, removed at the end.\n`,
  );
  const pool = await resources.own(
    Promise.resolve(createPostgresPool({ url: config.database.url, applicationName: 'aegis-llm-demo' })),
    (created) => created.end(),
  );
  const redis = await resources.own(Promise.resolve(new Redis(base.redis.url)), async (created) =>
    created.disconnect(),
  );
  const logger = createLogger({ level: 'error', name: 'llm-demo' });
  try {
    const { router } = await createRouterFromConfig(config, { pool, redis, logger });
    await router.start();
    const attribution = { documentId: 'demo-document', stage: 'llm-demo', userId: 'demo' };

    const answer = await router.generate({
      task: 'generation',
      attribution,
      messages: [{ role: 'user', content: 'What does a tracing JIT compiler record?' }],
    });
    console.log(
      `generate      -> ${answer.provider}:${answer.model}  ${answer.usage.inputTokens}/${answer.usage.outputTokens} tokens  $${answer.costUsd}\n  ${answer.text}`,
    );

    sim.faults.add({ provider: 'ollama', route: 'chat', status: 500, times: 1 });
    const fallback = await router.generateJson({
      task: 'extraction',
      attribution,
      schema: z.object({ entities: z.array(z.object({ name: z.string(), type: z.string() })) }),
      messages: [{ role: 'user', content: 'Andreas Gal and Brendan Eich built TraceMonkey at Mozilla.' }],
    });
    const path = fallback.attempts
      .map((attempt) => `${attempt.provider}:${attempt.errorCode ?? attempt.status}`)
      .join(' -> ');
    console.log(
      `generateJson  -> ${path}  $${fallback.costUsd}\n  entities: ${fallback.value.entities.map((entity) => entity.name).join(', ')}`,
    );

    const vectors = await router.embed({
      attribution,
      texts: ['trace trees', 'type specialisation', 'side exits'],
    });
    console.log(
      `embed         -> ${vectors.provider}:${vectors.model}  ${vectors.vectors.length} vectors of ${vectors.dimensions} dimensions`,
    );

    const image = await sharp({
      create: { width: 320, height: 200, channels: 3, background: { r: 20, g: 120, b: 200 } },
    })
      .png()
      .toBuffer();
    const vision = await router.describeImage({
      attribution,
      mode: 'cloud-only',
      image: { data: image, mimeType: 'image/png' },
    });
    console.log(`describeImage -> ${vision.provider}:${vision.model}  $${vision.costUsd}\n  ${vision.text}`);

    await router.close();
    console.log('\nThis month, by provider and model (from the ledger in Postgres):');
    console.table(await monthlyCosts(pool, { groupBy: ['provider', 'model', 'task'] }));
    console.log('More: `aegis costs --by document,stage`, `aegis costs --export --format csv`.');
  } finally {
    removeHandlers();
    await resources.closeAll();
    await sandbox.teardown();
  }
}
