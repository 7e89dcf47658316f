import { AegisError } from '@aegis/core';
import { z } from 'zod';
import type { RoutingMode, TaskType } from './types.ts';

export const TASK_TYPES = [
  'embedding',
  'extraction',
  'generation',
  'vision',
] as const satisfies readonly TaskType[];

const chainEntrySchema = z.object({
  /** A provider name from the router's provider list, e.g. `ollama`, `dashscope`, `openai`. */
  provider: z.string().regex(/^[a-z0-9-]+$/),
  model: z.string().min(1),
  /** Output cap for this entry, in tokens; also the output side of the worst-case budget reservation. */
  maxOutputTokens: z.number().int().positive().optional(),
  /**
   * Reasoning tokens a thinking model may spend beyond `maxOutputTokens` (where the cap bounds only the visible
   * reply, e.g. DashScope `enable_thinking`); added to the output side of the reservation so that its bill fits.
   */
  reasoningTokens: z.number().int().nonnegative().optional(),
  /** Per-attempt timeout in ms; defaults to the router's `requestTimeoutMs`. */
  timeoutMs: z.number().int().positive().optional(),
  /** Embedding size to request from models that can shorten vectors (OpenAI `dimensions`). */
  dimensions: z.number().int().positive().optional(),
  /**
   * Provider-specific top-level body fields, sent as they are. DashScope: `enable_thinking` (forces streaming,
   * as DashScope requires), `vl_high_resolution_images` (up to 16,384 image tokens instead of 2,560).
   */
  extraBody: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])).optional(),
  /**
   * Extra HTTP statuses on which to fall through to the next entry although they are 4xx, e.g. `[403]` for a
   * DashScope vision model that refuses some images (REFERENCE.md: instruct -> thinking on 403).
   */
  fallbackOnStatus: z.array(z.number().int().min(400).max(499)).optional(),
});

export const routingConfigSchema = z.object({
  mode: z.enum(['local-first', 'cloud-only', 'local-only']).default('local-first'),
  /** Prompts estimated above this many tokens skip local providers. Default 3000 (REFERENCE.md). */
  localMaxPromptTokens: z.number().int().positive().default(3_000),
  /** Chains per task type, tried in order. Local entries are moved or dropped according to `mode`. */
  tasks: z.object({
    embedding: z.array(chainEntrySchema).min(1),
    extraction: z.array(chainEntrySchema).min(1),
    generation: z.array(chainEntrySchema).min(1),
    vision: z.array(chainEntrySchema).min(1),
  }),
});

export type ChainEntry = z.infer<typeof chainEntrySchema>;
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

export function parseRoutingConfig(input: unknown): RoutingConfig {
  const parsed = routingConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new AegisError('CONFIG_INVALID', `invalid routing config: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * The chain a call walks under a mode: `local-first` keeps local entries first (in their configured order),
 * `cloud-only` drops them, `local-only` keeps only them.
 */
export function chainFor(
  config: RoutingConfig,
  task: TaskType,
  mode: RoutingMode,
  isLocal: (provider: string) => boolean,
): ChainEntry[] {
  const chain = config.tasks[task];
  const local = chain.filter((entry) => isLocal(entry.provider));
  const cloud = chain.filter((entry) => !isLocal(entry.provider));
  if (mode === 'cloud-only') return cloud;
  if (mode === 'local-only') return local;
  return [...local, ...cloud];
}

/** Defaults following REFERENCE.md: Ollama first, DashScope next, OpenAI last. */
export const DEFAULT_ROUTING_CONFIG: RoutingConfig = {
  mode: 'local-first',
  localMaxPromptTokens: 3_000,
  tasks: {
    embedding: [
      { provider: 'ollama', model: 'bge-m3' },
      { provider: 'openai', model: 'text-embedding-3-small', dimensions: 1024 },
    ],
    extraction: [
      { provider: 'ollama', model: 'llama3.1:8b' },
      { provider: 'dashscope', model: 'qwen-turbo' },
      { provider: 'groq', model: 'llama-3.1-8b-instant' },
      { provider: 'openai', model: 'gpt-4o-mini' },
    ],
    generation: [
      { provider: 'ollama', model: 'llama3.1:8b' },
      { provider: 'dashscope', model: 'qwen-plus' },
      { provider: 'openrouter', model: 'qwen/qwen-2.5-72b-instruct' },
      { provider: 'openai', model: 'gpt-4o' },
    ],
    vision: [
      { provider: 'ollama', model: 'qwen2.5vl:7b' },
      { provider: 'dashscope', model: 'qwen3-vl-30b-a3b-instruct', fallbackOnStatus: [403] },
      { provider: 'dashscope', model: 'qwen3-vl-30b-a3b-thinking', extraBody: { enable_thinking: true } },
      { provider: 'openai', model: 'gpt-4o' },
    ],
  },
};
