import { hostname } from 'node:os';
import { AegisError } from '@aegis/core';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { extractJson } from './json-reply.ts';
import { createLocalHealth } from './local-health.ts';
import { createRouterMetrics, type RouterMetrics } from './metrics.ts';
import { picoToUsd, usdToPico } from './money.ts';
import { type ResolvedPrice, resolvePrice } from './prices.ts';
import type { ChatMessage } from './providers/provider.ts';
import {
  type CallState,
  type ExecutorDeps,
  executeRoute,
  newCallState,
  type RoutedOperation,
} from './route-executor.ts';
import { excerpt, hashOf, NO_LOGGER, once, REPAIR_EXCERPT_CHARS, validateRouting } from './router-helpers.ts';
import type {
  GenerateJsonRequest,
  GenerateJsonResult,
  GenerateRequest,
  Router,
  RouterOptions,
} from './router-types.ts';
import { type ChainEntry, chainFor } from './routing-config.ts';
import { createCloudHealth, taskReadiness } from './task-readiness.ts';
import { countTextTokens, estimatePromptTokens, promptTokenUpperBound } from './tokens.ts';
import type { CallMeta, CallOptions, TaskType, Usage } from './types.ts';

/** Version 1 of the default vision prompt; the version is part of the ledger's query hash input. */
export const VISION_PROMPT =
  'Describe this image for a search index: what it shows, any text in it, and for charts or diagrams the axes, labels and the main finding. Be factual and concise.';

/**
 * The one entry point for every LLM call in the system. Routing, fallback, breakers, budgets, ledger and
 * metrics apply equally to chat, JSON extraction, embeddings and vision.
 */
export function createRouter(options: RouterOptions): Router {
  const adapters = new Map(options.providers.map((adapter) => [adapter.name, adapter]));
  validateRouting(options.routing, adapters, options.prices);
  const metrics: RouterMetrics = createRouterMetrics(options.registry ?? new Registry());
  metrics.prime(
    Object.entries(options.routing.tasks).flatMap(([task, chain]) =>
      chain.map((entry) => ({ provider: entry.provider, model: entry.model, task })),
    ),
  );
  const logger = options.logger ?? NO_LOGGER;
  const maxOutputTokens = options.maxOutputTokens ?? 4_096;
  const warnRatio = options.budgetWarnRatio ?? 0.8;
  const embedBatchSize = options.embedBatchSize ?? 64;
  const warned = new Set<string>();
  const priceCache = new Map<string, ResolvedPrice>();
  let reaper: NodeJS.Timeout | undefined;
  const cloudHealth = createCloudHealth();

  const deps: ExecutorDeps = {
    adapters,
    prices(provider, model) {
      const key = `${provider}:${model}`;
      let price = priceCache.get(key);
      if (!price) {
        price = resolvePrice(options.prices, provider, model);
        if (!price) throw new AegisError('CONFIG_INVALID', `no price for ${key}`);
        priceCache.set(key, price);
      }
      return price;
    },
    accounting: options.accounting,
    breaker: options.breaker,
    metrics,
    logger,
    localHealth: createLocalHealth({ healthyTtlMs: options.localHealthTtlMs }),
    observeBreaker(provider, state) {
      const { from, changed } = metrics.recordBreaker(provider, state);
      if (!changed) return;
      logger.warn({ provider, from, to: state }, `circuit breaker of ${provider} is now ${state}`);
      options.onEvent?.({ type: 'breaker.transition', provider, from, to: state });
    },
    localMaxPromptTokens: options.routing.localMaxPromptTokens,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    reservationTtlMs: options.reservationTtlMs ?? 600_000,
    holder: `${hostname()}:${process.pid}`,
    maxPasses: options.maxPasses ?? 2,
    maxWaitMs: options.maxWaitMs ?? 5_000,
    random: options.random ?? Math.random,
  };

  options.accounting.onStatus((status) => {
    metrics.recordBudget(status);
    if (status.limitUsd === null) return;
    const limit = usdToPico(status.limitUsd);
    const used = usdToPico(status.spentUsd) + usdToPico(status.reservedUsd);
    const usedRatio = limit === 0n ? 1 : Number((used * 10_000n) / limit) / 10_000;
    const key = `${status.provider}:${status.month}`;
    if (usedRatio >= warnRatio && !warned.has(key)) {
      warned.add(key);
      logger.warn(
        { provider: status.provider, usedRatio, month: status.month },
        `${status.provider} has used ${Math.round(usedRatio * 100)}% of its monthly budget`,
      );
      options.onEvent?.({ type: 'budget.warning', provider: status.provider, usedRatio, status });
    }
  });

  function chain(task: TaskType, mode: CallOptions['mode']): ChainEntry[] {
    return chainFor(
      options.routing,
      task,
      mode ?? options.routing.mode,
      (provider) => adapters.get(provider)?.local === true,
    );
  }

  function meta(state: CallState, provider: string, model: string): CallMeta {
    const usage: Usage = {
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      images: 0,
      source: 'provider',
    };
    let cost = 0n;
    for (const attempt of state.attempts) {
      if (attempt.costUsd) cost += usdToPico(attempt.costUsd);
      if (attempt.status !== 'ok' || !attempt.usage) continue;
      usage.inputTokens += attempt.usage.inputTokens;
      usage.cachedInputTokens += attempt.usage.cachedInputTokens;
      usage.outputTokens += attempt.usage.outputTokens;
      usage.reasoningTokens += attempt.usage.reasoningTokens;
      usage.images += attempt.usage.images;
      if (attempt.usage.source === 'estimated') usage.source = 'estimated';
    }
    return {
      provider,
      model,
      requestGroup: state.requestGroup,
      usage,
      costUsd: picoToUsd(cost),
      latencyMs: Math.round(performance.now() - state.startedAt),
      attempts: state.attempts,
    };
  }

  function chatOperation(
    task: TaskType,
    request: GenerateRequest,
    json: { schema?: Record<string, unknown> } | undefined,
  ): RoutedOperation<string> {
    const images = request.messages.reduce((count, message) => count + (message.images?.length ?? 0), 0);
    const hashParts: Array<string | Uint8Array> = [];
    for (const message of request.messages) {
      hashParts.push(message.role, '\0', message.content, '\0');
      for (const image of message.images ?? []) hashParts.push(image.data);
    }
    return {
      task,
      promptTokens: once(() => estimatePromptTokens(request.messages)),
      inputTokenUpperBound: (price) => promptTokenUpperBound(request.messages, price.maxImageTokens),
      maxOutputTokens: (entry) => request.maxOutputTokens ?? entry.maxOutputTokens ?? maxOutputTokens,
      images,
      queryHash: hashOf(hashParts),
      async run(adapter, entry, context) {
        const response = await adapter.chat(
          {
            model: entry.model,
            messages: request.messages,
            maxOutputTokens: request.maxOutputTokens ?? entry.maxOutputTokens ?? maxOutputTokens,
            temperature: request.temperature,
            json,
            extraBody: entry.extraBody,
            stream: request.onText !== undefined,
            onText: request.onText,
          },
          context,
        );
        return { value: response.text, usage: response.usage };
      },
      estimateUsage: (text) => ({
        inputTokens: estimatePromptTokens(request.messages),
        outputTokens: countTextTokens(text),
      }),
      estimateBilledFailure: (entry) => ({
        inputTokens: estimatePromptTokens(request.messages),
        outputTokens: request.maxOutputTokens ?? entry.maxOutputTokens ?? maxOutputTokens,
      }),
    };
  }

  async function generateIn(
    state: CallState,
    request: GenerateRequest,
    json?: { schema?: Record<string, unknown> },
  ): Promise<{ text: string; entry: ChainEntry }> {
    const { value, entry } = await executeRoute(deps, {
      chain: chain(request.task, request.mode),
      operation: chatOperation(request.task, request, json),
      state,
      attribution: request.attribution,
      signal: request.signal,
    });
    return { text: value, entry };
  }

  return {
    async generate(request) {
      const state = newCallState();
      const { text, entry } = await generateIn(state, request);
      return { text, ...meta(state, entry.provider, entry.model) };
    },

    async generateJson<T>(request: GenerateJsonRequest<T>): Promise<GenerateJsonResult<T>> {
      const state = newCallState();
      const jsonSchema = z.toJSONSchema(request.schema, { unrepresentable: 'any' }) as Record<
        string,
        unknown
      >;
      const instruction: ChatMessage = {
        role: 'system',
        content: `Reply with a single JSON object and nothing else. It must match this JSON Schema:\n${JSON.stringify(jsonSchema)}`,
      };
      const messages = [instruction, ...request.messages];
      const first = await generateIn(state, { ...request, messages }, { schema: jsonSchema });
      const parsed = extractJson(first.text, request.schema);
      if (parsed.ok)
        return {
          value: parsed.value,
          repaired: false,
          ...meta(state, first.entry.provider, first.entry.model),
        };

      // One repair attempt: show the model its reply and what was wrong with it.
      const repair = await generateIn(
        state,
        {
          ...request,
          messages: [
            ...messages,
            // A bounded excerpt: resending a long (often cut-off) reply would push the repair past local limits.
            { role: 'assistant', content: excerpt(first.text, REPAIR_EXCERPT_CHARS) },
            {
              role: 'user',
              content: `That reply is not valid: ${parsed.problem}. If it was cut off, keep entries fewer and shorter. Reply again with only the corrected JSON object.`,
            },
          ],
        },
        { schema: jsonSchema },
      );
      const repaired = extractJson(repair.text, request.schema);
      if (repaired.ok)
        return {
          value: repaired.value,
          repaired: true,
          ...meta(state, repair.entry.provider, repair.entry.model),
        };
      throw new AegisError(
        'LLM_JSON_INVALID',
        `the model's JSON stayed invalid after one repair attempt: ${repaired.problem}`,
        {
          details: { attempts: state.attempts, requestGroup: state.requestGroup },
        },
      );
    },

    async embed(request) {
      if (request.texts.length === 0)
        throw new AegisError('VALIDATION_FAILED', 'embed needs at least one text');
      const state = newCallState();
      const vectors: number[][] = [];
      let pinned: ChainEntry | undefined;
      if (request.pin) {
        const { provider, model } = request.pin;
        pinned = options.routing.tasks.embedding.find(
          (entry) => entry.provider === provider && entry.model === model,
        );
        if (!pinned) {
          throw new AegisError(
            'NO_ROUTE',
            `${provider}:${model} is not in the embedding chain, so embeddings cannot be pinned to it`,
          );
        }
      }
      for (let offset = 0; offset < request.texts.length; offset += embedBatchSize) {
        const batch = request.texts.slice(offset, offset + embedBatchSize);
        const operation: RoutedOperation<number[][]> = {
          task: 'embedding',
          promptTokens: once(() => batch.reduce((total, text) => Math.max(total, countTextTokens(text)), 0)),
          inputTokenUpperBound: () =>
            batch.reduce((total, text) => total + Buffer.byteLength(text, 'utf8') + 1, 0),
          maxOutputTokens: () => 0,
          images: 0,
          queryHash: hashOf(batch.flatMap((text) => [text, '\0'])),
          async run(adapter, entry, context) {
            const response = await adapter.embed(
              { model: entry.model, input: batch, dimensions: entry.dimensions },
              context,
            );
            return {
              value: response.vectors,
              usage: response.usage && {
                ...response.usage,
                cachedInputTokens: 0,
                outputTokens: 0,
                reasoningTokens: 0,
              },
            };
          },
          estimateUsage: () => ({
            inputTokens: batch.reduce((total, text) => total + countTextTokens(text), 0),
            outputTokens: 0,
          }),
          estimateBilledFailure: () => ({
            inputTokens: batch.reduce((total, text) => total + countTextTokens(text), 0),
            outputTokens: 0,
          }),
        };
        // Vectors of different models live in different spaces: once a batch is answered, the rest of the
        // call is pinned to that provider and model, or fails.
        const result = await executeRoute(deps, {
          chain: pinned ? [pinned] : chain('embedding', request.mode),
          operation,
          state,
          attribution: request.attribution,
          signal: request.signal,
        });
        pinned = result.entry;
        vectors.push(...result.value);
      }
      const dimensions = vectors[0]?.length ?? 0;
      if (vectors.some((vector) => vector.length !== dimensions)) {
        throw new AegisError(
          'PROVIDER_BAD_RESPONSE',
          'the provider returned vectors of different sizes in one call',
        );
      }
      const entry = pinned as ChainEntry;
      return { vectors, dimensions, ...meta(state, entry.provider, entry.model) };
    },

    async describeImage(request) {
      const state = newCallState();
      const prompt = request.prompt ?? VISION_PROMPT;
      const { text, entry } = await generateIn(state, {
        task: 'vision',
        mode: request.mode,
        signal: request.signal,
        attribution: request.attribution,
        maxOutputTokens: request.maxOutputTokens ?? 1_024,
        messages: [{ role: 'user', content: prompt, images: [request.image] }],
      });
      return { text, ...meta(state, entry.provider, entry.model) };
    },

    taskReadiness(task, { pin, mode } = {}) {
      return taskReadiness(
        {
          adapters,
          localHealth: deps.localHealth,
          cloudHealth,
          breaker: options.breaker,
          budgets: () => options.accounting.status(),
          isFree: (provider, model) => deps.prices(provider, model).free,
        },
        task,
        chain(task, mode),
        pin,
      );
    },

    providers() {
      return [...adapters.values()].map((adapter) => ({
        name: adapter.name,
        kind: adapter.kind,
        local: adapter.local,
        enabled: adapter.disabledReason === undefined,
        reason: adapter.disabledReason,
      }));
    },

    async start() {
      for (const status of await options.accounting.status()) metrics.recordBudget(status);
      const interval = options.reaperIntervalMs ?? 60_000;
      if (interval > 0 && !reaper) {
        const reap = (atStart: boolean) =>
          options.accounting.reapExpired({ atStart }).then(
            (count) =>
              count > 0 &&
              logger.warn({ count }, 'settled calls and reservations left behind by a crashed process'),
            (error: unknown) => logger.warn({ err: error }, 'reservation reaper failed'),
          );
        // At start, what a dead predecessor on this host left is settled at once (ADR 016), not after a ttl.
        await reap(true);
        reaper = setInterval(() => void reap(false), interval);
        reaper.unref();
      }
    },

    flush: () => options.accounting.flush(),

    async close() {
      if (reaper) clearInterval(reaper);
      reaper = undefined;
      await options.accounting.close();
    },
  };
}
