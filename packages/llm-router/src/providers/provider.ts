import type { ErrorCode } from '@aegis/core';
import type { BreakerFailureKind } from '../breaker/circuit-breaker.ts';

export interface ImageInput {
  data: Uint8Array;
  /** e.g. `image/png`; sent in the data URL on OpenAI-compatible APIs. */
  mimeType: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  images?: ImageInput[] | undefined;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  temperature?: number | undefined;
  /** Ask for a JSON reply; with a JSON schema where the provider can enforce one (Ollama `format`). */
  json?: { schema?: Record<string, unknown> | undefined } | undefined;
  /** Provider-specific top-level body fields (DashScope `enable_thinking`, `vl_high_resolution_images`). */
  extraBody?: Record<string, boolean | number | string> | undefined;
  /** Stream the reply; text deltas go to `onText`. Usage is still read wherever the provider puts it. */
  stream: boolean;
  onText?: ((delta: string) => void) | undefined;
}

/** Usage exactly as the provider reported it; undefined when it reported none. */
export interface ProviderUsage {
  inputTokens: number;
  cachedInputTokens: number;
  /** Every output token billed, reasoning included. */
  outputTokens: number;
  /** The part of `outputTokens` the model spent thinking (OpenAI `completion_tokens_details.reasoning_tokens`). */
  reasoningTokens: number;
}

export interface ChatResponse {
  text: string;
  usage: ProviderUsage | undefined;
  finishReason?: string | undefined;
}

export interface EmbedRequest {
  model: string;
  input: string[];
  dimensions?: number | undefined;
}

export interface EmbedResponse {
  vectors: number[][];
  usage: Pick<ProviderUsage, 'inputTokens'> | undefined;
}

/** Per attempt: `signal` fires on caller abort or on the attempt's timeout. */
export interface AttemptContext {
  signal: AbortSignal;
  timeoutMs: number;
  /**
   * The attempt's ledger row id, sent as `X-Client-Request-Id` (OpenAI's header for a caller-chosen request id),
   * so that a provider-side log can be matched with the ledger row by row.
   */
  requestId?: string | undefined;
}

/** The header carrying {@link AttemptContext.requestId}. */
export const CLIENT_REQUEST_ID_HEADER = 'X-Client-Request-Id';

/** How the router treats a failed attempt. */
export interface ProviderFailure {
  code: ErrorCode;
  message: string;
  httpStatus?: number | undefined;
  /** The server's hint in ms from now (`retry-after-ms` / `retry-after`). */
  retryAfterMs?: number | undefined;
  /** How the breaker should count it; undefined = not the provider's health (e.g. a caller 4xx, an OOM). */
  breakerKind?: BreakerFailureKind | undefined;
}

/**
 * One configured provider. `ollama` is local (free, health-checked); the others speak the OpenAI API.
 * Adapters do no retries of their own: the router is the only retry loop.
 */
export interface ProviderAdapter {
  readonly name: string;
  readonly kind: 'ollama' | 'openai-compatible' | 'static';
  readonly local: boolean;
  /** Breaker key: provider name plus a hash of its API key, so a rotated key gets a fresh breaker. */
  readonly breakerKey: string;
  /** Why the provider cannot be used (e.g. no API key), or undefined when it is enabled. */
  readonly disabledReason: string | undefined;
  chat(request: ChatRequest, context: AttemptContext): Promise<ChatResponse>;
  embed(request: EmbedRequest, context: AttemptContext): Promise<EmbedResponse>;
  /** Model names the provider serves now (Ollama: pulled models); used for health checks. */
  listModels(context: AttemptContext): Promise<string[]>;
  /** Maps an error this adapter threw to a failure the router acts on. */
  classify(error: unknown): ProviderFailure;
}
