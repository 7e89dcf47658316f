import type { FaultRegistry } from './fault-registry.ts';
import type { PromptCache } from './prompt-cache.ts';
import type { RequestLog } from './request-log.ts';
import type { ProviderBehaviour, SimBillingEntry, SimulatorOptions } from './types.ts';

/** Models listed when `SimulatorOptions.models` does not name the provider. */
export const DEFAULT_MODELS: Readonly<Record<string, readonly string[]>> = {
  ollama: ['llama3.2:3b', 'llama3.1:8b', 'bge-m3', 'qwen2.5vl:7b'],
  openai: [
    'gpt-4o-mini',
    'gpt-4o',
    'gpt-4.1-mini',
    'o4-mini',
    'text-embedding-3-small',
    'text-embedding-3-large',
  ],
  dashscope: ['qwen-plus', 'qwen-max', 'qwen-turbo', 'qwen3-32b', 'qwen-vl-plus', 'text-embedding-v4'],
  groq: ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile'],
  openrouter: ['openai/gpt-4o-mini', 'anthropic/claude-3.5-sonnet', 'meta-llama/llama-3.1-8b-instruct'],
};

/** Fallback list for OpenAI-compatible providers without defaults. */
const GENERIC_MODELS = ['gpt-4o-mini', 'text-embedding-3-small'];

/** Everything the route handlers share: resolved options plus the mutable stores. */
export interface SimulatorState {
  models: Record<string, readonly string[]>;
  strictModels: boolean;
  embeddingDimensions: number;
  embeddingDimensionsByModel: Record<string, number>;
  latencyMs: number;
  behaviours: Map<string, ProviderBehaviour>;
  faults: FaultRegistry;
  log: RequestLog;
  promptCache: PromptCache;
  /** Every request the simulated providers would bill, in the order their answers were produced. */
  billing: Array<Omit<SimBillingEntry, 'clientGone'>>;
}

/** The o-series rule: `max_tokens` is refused and `max_completion_tokens` bounds reasoning plus reply. */
export function isOSeries(provider: string, model: string): boolean {
  return provider === 'openai' && /^o\d/.test(model);
}

export function modelsOf(state: SimulatorState, provider: string): readonly string[] {
  return state.models[provider] ?? DEFAULT_MODELS[provider] ?? GENERIC_MODELS;
}

export function isKnownModel(state: SimulatorState, provider: string, model: string): boolean {
  return !state.strictModels || modelsOf(state, provider).includes(model);
}

export function behaviourOf(state: SimulatorState, provider: string): Required<ProviderBehaviour> {
  const configured = state.behaviours.get(provider) ?? {};
  return {
    usageOnChoiceChunk: configured.usageOnChoiceChunk ?? false,
    dashscopeExtensions: configured.dashscopeExtensions ?? provider === 'dashscope',
    embeddingEncoding: configured.embeddingEncoding ?? 'request',
    thinkingModels: configured.thinkingModels ?? (provider === 'openai' ? { 'o4-mini': 256 } : {}),
  };
}

/** Records a billed answer; the handlers call it once they have produced the answer, before writing it. */
export function bill(state: SimulatorState, entry: Omit<SimBillingEntry, 'clientGone'>): void {
  state.billing.push(entry);
}

export function embeddingDimensionsFor(state: SimulatorState, model: string, requested: unknown): number {
  if (typeof requested === 'number' && Number.isInteger(requested) && requested > 0) return requested;
  return state.embeddingDimensionsByModel[model] ?? state.embeddingDimensions;
}

export function resolveModels(options: SimulatorOptions): Record<string, readonly string[]> {
  return { ...DEFAULT_MODELS, ...options.models };
}
