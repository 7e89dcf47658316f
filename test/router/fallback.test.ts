import { isAegisError } from '@aegis/core';
import { createOllamaProvider, createOpenAiCompatibleProvider } from '@aegis/llm-router';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { solidPng } from '../support/images.ts';
import {
  breakerKey,
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  type RouterInstance,
  TEST_ROUTING,
} from '../support/router-harness.ts';

describe('router fallback over real HTTP', () => {
  let harness: RouterHarness;
  let instance: RouterInstance;

  beforeAll(async () => {
    harness = await createRouterHarness();
    instance = harness.makeRouter();
  });
  afterAll(async () => harness.close());
  beforeEach(async () => harness.reset());

  const ask = (content: string) => ({
    task: 'generation' as const,
    messages: [{ role: 'user' as const, content }],
    attribution: { documentId: 'doc-1', stage: 'test', userId: 'u-1' },
  });

  it('walks ollama(500) -> dashscope(429) -> openai(200): answer from openai, three ledger rows, one group', async () => {
    harness.sim.faults.add({ provider: 'ollama', route: 'chat', status: 500, times: 1 });
    harness.sim.faults.add({ provider: 'dashscope', route: 'chat', status: 429, retryAfter: '1', times: 1 });

    const result = await instance.router.generate(ask('Summarise the Tracemonkey paper.'));
    await instance.accounting.flush();

    expect(result.provider).toBe('openai');
    expect(result.model).toBe('gpt-4o');
    expect(result.text).toContain('gpt-4o');
    expect(
      result.attempts
        .filter((attempt) => attempt.kind === 'dispatched')
        .map((attempt) => [attempt.provider, attempt.status]),
    ).toEqual([
      ['ollama', 'error'],
      ['dashscope', 'error'],
      ['openai', 'ok'],
    ]);
    const rows = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(
      rows.map((row) => [row.attempt, row.provider, row.status, row.error_code, row.http_status]),
    ).toEqual([
      [1, 'ollama', 'error', 'PROVIDER_UNAVAILABLE', 500],
      [2, 'dashscope', 'error', 'PROVIDER_RATE_LIMITED', 429],
      [3, 'openai', 'ok', null, null],
    ]);
    for (const row of rows)
      expect([row.document_id, row.stage, row.user_id]).toEqual(['doc-1', 'test', 'u-1']);
    expect(rows[2]?.cost_usd).toBe(result.costUsd);
    // The 429 opened dashscope's breaker: the next call skips it without an upstream request.
    const before = harness.sim.count('dashscope', 'chat');
    const next = await instance.router.generate(ask('Again.'));
    expect(next.provider).toBe('ollama');
    expect(harness.sim.count('dashscope', 'chat')).toBe(before);
  });

  it('falls through an Ollama out-of-memory error without tripping its breaker', async () => {
    harness.sim.faults.add({ provider: 'ollama', route: 'chat', ollamaOom: true, times: 3 });
    for (let i = 0; i < 3; i += 1) {
      const result = await instance.router.generate({ ...ask(`question ${i}`), mode: 'local-first' });
      expect(result.attempts[0]).toMatchObject({ provider: 'ollama', errorCode: 'PROVIDER_OUT_OF_MEMORY' });
      expect(result.provider).not.toBe('ollama');
    }
    const snapshot = await instance.breaker.snapshot(breakerKey(instance, 'ollama'));
    expect(snapshot.state).toBe('closed');
    expect((await instance.router.generate(ask('after oom'))).provider).toBe('ollama');
  });

  it('never falls back on a caller error (400) and says why', async () => {
    harness.sim.faults.add({ provider: 'dashscope', route: 'chat', status: 400, times: 1 });
    const error = await instance.router
      .generate({ ...ask('bad request'), mode: 'cloud-only' })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'PROVIDER_REJECTED')).toBe(true);
    expect((error as Error).message).toMatch(/caller error/);
    expect(harness.sim.count('openai', 'chat')).toBe(0);
  });

  it('skips local for prompts over the token limit, and unhealthy or disabled providers, with a reason', async () => {
    const long = 'word '.repeat(4000);
    const result = await instance.router.generate(ask(long));
    expect(result.attempts[0]).toMatchObject({
      provider: 'ollama',
      kind: 'skipped',
      errorCode: 'LOCAL_PROMPT_TOO_LARGE',
    });
    expect(harness.sim.count('ollama', 'chat')).toBe(0);
  });

  it('skips an unreachable Ollama and a provider without a key, each with its reason', async () => {
    harness.sim.faults.add({ provider: 'ollama', route: 'tags', status: 500, times: 1 });
    const { sim } = harness;
    const partlyKeyed = harness.makeRouter({
      providers: [
        createOllamaProvider({ baseUrl: sim.ollamaUrl }),
        createOpenAiCompatibleProvider({ name: 'dashscope', baseUrl: sim.openaiBaseUrl('dashscope') }),
        createOpenAiCompatibleProvider({
          name: 'openai',
          baseUrl: sim.openaiBaseUrl('openai'),
          apiKey: 'sk-test',
        }),
      ],
    }).router;
    expect(partlyKeyed.providers().find((provider) => provider.name === 'dashscope')).toMatchObject({
      enabled: false,
      reason: expect.stringContaining('no API key'),
    });
    const result = await partlyKeyed.generate(ask('hello'));
    expect(result.attempts.map((attempt) => [attempt.provider, attempt.errorCode ?? attempt.status])).toEqual(
      [
        ['ollama', 'PROVIDER_UNHEALTHY'],
        ['dashscope', 'PROVIDER_DISABLED'],
        ['openai', 'ok'],
      ],
    );
    expect(harness.sim.count('ollama', 'chat')).toBe(0);
  });

  it('refuses a chain that has no provider allowed in the mode with NO_ROUTE', async () => {
    const cloudVision = harness.makeRouter({
      routing: {
        ...TEST_ROUTING,
        tasks: { ...TEST_ROUTING.tasks, vision: [{ provider: 'openai', model: 'gpt-4o' }] },
      },
    });
    const image = { data: await solidPng(), mimeType: 'image/png' };
    const error = await cloudVision.router
      .describeImage({ image, mode: 'local-only' })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'NO_ROUTE')).toBe(true);
  });
});
