import type { PriceTable } from './prices.ts';

/**
 * Built-in example price table. Prices change: operators point LLM_PRICES_FILE at their own table and bump
 * `version` whenever a price changes. DashScope qwen-turbo follows REFERENCE.md; the others are list prices
 * at the time of writing, rounded, and must be checked against each provider's pricing page.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  version: '2026-11-01',
  currency: 'USD',
  models: {
    'ollama:*': { inputPerMillion: '0', outputPerMillion: '0' },
    'static:*': { inputPerMillion: '0', outputPerMillion: '0' },
    'openai:gpt-4o': {
      inputPerMillion: '2.50',
      cachedInputPerMillion: '1.25',
      outputPerMillion: '10.00',
      maxImageTokens: 1_105,
    },
    'openai:gpt-4o-mini': {
      inputPerMillion: '0.15',
      cachedInputPerMillion: '0.075',
      outputPerMillion: '0.60',
      maxImageTokens: 36_835,
    },
    'openai:text-embedding-3-small': { inputPerMillion: '0.02', outputPerMillion: '0' },
    'openai:text-embedding-3-large': { inputPerMillion: '0.13', outputPerMillion: '0' },
    'dashscope:qwen-turbo': { inputPerMillion: '0.05', outputPerMillion: '0.20' },
    'dashscope:qwen-plus': {
      inputPerMillion: '0.40',
      cachedInputPerMillion: '0.16',
      outputPerMillion: '1.20',
    },
    'dashscope:qwen-max': {
      inputPerMillion: '1.60',
      cachedInputPerMillion: '0.64',
      outputPerMillion: '6.40',
    },
    'dashscope:qwen3-vl-30b-a3b-instruct': {
      inputPerMillion: '0.20',
      outputPerMillion: '0.80',
      maxImageTokens: 16_384,
    },
    'dashscope:qwen3-vl-30b-a3b-thinking': {
      inputPerMillion: '0.20',
      outputPerMillion: '2.40',
      maxImageTokens: 16_384,
    },
    'dashscope:text-embedding-v3': { inputPerMillion: '0.07', outputPerMillion: '0' },
    'groq:llama-3.1-8b-instant': { inputPerMillion: '0.05', outputPerMillion: '0.08' },
    'groq:llama-3.3-70b-versatile': { inputPerMillion: '0.59', outputPerMillion: '0.79' },
    'openrouter:qwen/qwen-2.5-72b-instruct': { inputPerMillion: '0.12', outputPerMillion: '0.39' },
    'openrouter:meta-llama/llama-3.1-8b-instruct': { inputPerMillion: '0.02', outputPerMillion: '0.05' },
  },
};
