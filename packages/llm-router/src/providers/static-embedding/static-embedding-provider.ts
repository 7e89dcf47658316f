import { stat } from 'node:fs/promises';
import { AegisError, isAegisError } from '@aegis/core';
import { countTextTokens } from '../../tokens.ts';
import type { ProviderAdapter, ProviderFailure } from '../provider.ts';
import type { StaticModel } from './static-model.ts';
import { loadStaticModel } from './static-model-files.ts';

export interface StaticEmbeddingProviderOptions {
  /** Provider name in routing chains and the ledger. Default `static`. */
  name?: string | undefined;
  /** Model name -> local path (a word-vector file, wink JSON, or a model2vec directory). */
  models: Readonly<Record<string, string>>;
  /** Where converted word-vector files are cached. */
  cacheDir: string;
  /** Rows kept from word-vector files (frequency order). Default 200,000. */
  maxWords?: number | undefined;
}

/**
 * Embeddings computed in this process from static models (ADR 013): no server, no network, free. It is a
 * provider like the others: the router picks it from the embedding chain, meters it (a ledger row at $0 per
 * call, usage counted with the tokenizer), and its breaker opens if it keeps failing (a missing or corrupt
 * model file). Models load lazily on first use and stay in memory; chat is not offered.
 */
export function createStaticEmbeddingProvider(options: StaticEmbeddingProviderOptions): ProviderAdapter {
  const name = options.name ?? 'static';
  const loaded = new Map<string, Promise<StaticModel>>();
  const failed = new Set<string>();

  function model(modelName: string): Promise<StaticModel> {
    const modelPath = options.models[modelName];
    if (modelPath === undefined)
      return Promise.reject(
        new AegisError(
          'PROVIDER_REJECTED',
          `${name} has no model "${modelName}" (set STATIC_EMBEDDING_MODELS)`,
        ),
      );
    let pending = loaded.get(modelName);
    if (pending === undefined) {
      pending = loadStaticModel(modelPath, options.cacheDir, { maxWords: options.maxWords });
      // A failed load is retried by the next call, not remembered.
      pending.then(
        () => failed.delete(modelName),
        () => {
          loaded.delete(modelName);
          failed.add(modelName);
        },
      );
      loaded.set(modelName, pending);
    }
    return pending;
  }

  return {
    name,
    kind: 'static',
    local: true,
    breakerKey: `${name}:local`,
    disabledReason:
      Object.keys(options.models).length === 0 ? 'no static embedding model is configured' : undefined,
    async chat() {
      throw new AegisError('PROVIDER_REJECTED', `${name} only computes embeddings`);
    },
    async embed(request, context) {
      const instance = await model(request.model);
      context.signal.throwIfAborted();
      if (request.dimensions !== undefined && request.dimensions !== instance.dimensions)
        throw new AegisError(
          'PROVIDER_REJECTED',
          `${name}:${request.model} has ${instance.dimensions} dimensions, not ${request.dimensions}`,
        );
      const vectors = request.input.map((text) => instance.embed(text));
      return {
        vectors,
        usage: { inputTokens: request.input.reduce((sum, text) => sum + countTextTokens(text), 0) },
      };
    },
    async listModels() {
      // Served: the configured models whose file exists and has not failed to load. Loading itself (a first
      // conversion takes tens of seconds) happens on the first embed, not in a health check.
      const names: string[] = [];
      for (const [modelName, modelPath] of Object.entries(options.models)) {
        if (failed.has(modelName)) continue;
        if (
          await stat(modelPath).then(
            () => true,
            () => false,
          )
        )
          names.push(modelName);
      }
      return names;
    },
    classify(error): ProviderFailure {
      if (isAegisError(error))
        return {
          code: error.code,
          message: error.message,
          breakerKind: error.code === 'CONFIG_INVALID' ? 'server' : undefined,
        };
      return {
        code: 'PROVIDER_BAD_RESPONSE',
        message: `${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        breakerKind: 'server',
      };
    },
  };
}
