import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStaticEmbeddingProvider } from '@aegis/llm-router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  TEST_PRICES,
  TEST_ROUTING,
} from '../support/router-harness.ts';

// The in-process static embedder is routed like every provider: a ledger row per call at $0, the router's
// metrics, and a breaker that opens when its model keeps failing.
describe('static embeddings through the router', { timeout: 60_000 }, () => {
  let harness: RouterHarness;
  let dir: string;
  beforeAll(async () => {
    harness = await createRouterHarness();
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-static-router-'));
    await writeFile(path.join(dir, 'tiny.txt'), 'cat 1 0 0\nkitten 0.9 0.1 0\nstock 0 0 1\n');
    await writeFile(path.join(dir, 'broken.json'), '{ not json');
  });
  afterAll(async () => {
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function routerWith(model: string) {
    const providers = [
      createStaticEmbeddingProvider({
        models: { tiny: path.join(dir, 'tiny.txt'), broken: path.join(dir, 'broken.json') },
        cacheDir: path.join(dir, 'cache'),
      }),
    ];
    return harness.makeRouter({
      providers,
      prices: {
        ...TEST_PRICES,
        models: { ...TEST_PRICES.models, 'static:*': { inputPerMillion: '0', outputPerMillion: '0' } },
      },
      routing: {
        ...TEST_ROUTING,
        // Only the static provider is configured here, so every task names it (only embedding is called).
        tasks: {
          embedding: [{ provider: 'static', model }],
          extraction: [{ provider: 'static', model }],
          generation: [{ provider: 'static', model }],
          vision: [{ provider: 'static', model }],
        },
      },
      maxPasses: 1,
    });
  }

  it('records a $0 ledger row and metrics per call', async () => {
    const { router, registry } = routerWith('tiny');
    const result = await router.embed({
      texts: ['cat', 'kitten', 'stock'],
      attribution: { documentId: 'doc-s', stage: 'embed' },
    });
    expect(result).toMatchObject({
      provider: 'static',
      model: 'tiny',
      dimensions: 3,
      costUsd: '0.000000000000',
    });
    await router.flush();
    const rows = await ledgerRows(harness.db, "provider = 'static' AND document_id = 'doc-s'");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'ok',
      cost_usd: '0.000000000000',
      task: 'embedding',
      model: 'tiny',
    });
    expect(rows[0]?.input_tokens).toBeGreaterThan(0);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/llm_requests_total\{[^}]*provider="static"[^}]*\} 1/);
  });

  it('fails a model whose file is broken with a code, on the ledger, and opens its breaker', async () => {
    const { router, registry } = routerWith('broken');
    const codes: string[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1)
      codes.push(
        await router.embed({ texts: ['x'] }).then(
          () => 'ok',
          (error: { code: string }) => error.code,
        ),
      );
    expect(codes.every((code) => code === 'NO_PROVIDER_AVAILABLE')).toBe(true);
    await router.flush();
    const rows = await ledgerRows(harness.db, "provider = 'static' AND model = 'broken'");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.cost_usd === '0.000000000000')).toBe(true);
    expect(new Set(rows.map((row) => row.error_code))).toContain('CONFIG_INVALID');
    expect(await registry.metrics()).toMatch(/llm_circuit_breaker_state\{[^}]*provider="static"[^}]*\} 2/);
  });
});
