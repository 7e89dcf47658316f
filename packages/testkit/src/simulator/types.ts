/** A logical route of the simulator; `version` is Ollama's `/api/version`. */
export type SimRoute = 'chat' | 'embed' | 'tags' | 'models' | 'version';

/** Which wire protocol a provider speaks: `ollama` at the root, every other name OpenAI-compatible. */
export type SimProtocol = 'ollama' | 'openai';

/** Per-provider quirks of OpenAI-compatible providers. */
export interface ProviderBehaviour {
  /**
   * Streaming with `stream_options.include_usage`: put `usage` on the last chunk that still has a choice
   * (the one with `finish_reason`) instead of a separate `choices: []` chunk, as some providers do.
   * Default false.
   */
  usageOnChoiceChunk?: boolean;
  /**
   * Accept DashScope's `enable_thinking` / `vl_high_resolution_images` body fields with DashScope's rules
   * (400 for thinking without streaming; `delta.reasoning_content` chunks when streaming with thinking).
   * Default true for the provider named `dashscope`, false otherwise.
   */
  dashscopeExtensions?: boolean;
  /**
   * Which encoding embeddings come back in: `request` (default) honours `encoding_format` and answers base64
   * when it is absent; `float` / `base64` ignore the request (servers that do not implement the field).
   */
  embeddingEncoding?: 'request' | 'float' | 'base64';
  /**
   * Thinking models: model name -> reasoning tokens each answer spends. On OpenAI's o-series (names `o1`,
   * `o3-mini`, ...) `max_completion_tokens` bounds reasoning plus reply, as the real API does; elsewhere the cap
   * bounds only the visible reply and the reasoning comes on top, so billed output exceeds what was asked.
   * Default: `{ 'o4-mini': 256 }` for `openai`, none elsewhere.
   */
  thinkingModels?: Record<string, number>;
}

/** Options of {@link startProviderSimulator}. */
export interface SimulatorOptions {
  /** TCP port on 127.0.0.1. Default 0 (a random free port). */
  port?: number;
  /**
   * Models listed per provider by `/api/tags` (provider `ollama`) and `/{provider}/v1/models`.
   * Merged over the defaults (ollama: llama3.2:3b, llama3.1:8b, bge-m3, qwen2.5vl:7b; see `DEFAULT_MODELS`).
   * Any model name is still accepted in requests unless {@link SimulatorOptions.strictModels} is set.
   */
  models?: Record<string, readonly string[]>;
  /** Answer 404 (model not found, in the provider's error format) for models not listed. Default false. */
  strictModels?: boolean;
  /** Embedding vector length when the request does not ask for one. Default 1024. */
  embeddingDimensions?: number;
  /** Per-model embedding length overrides, e.g. `{ 'text-embedding-3-small': 1536 }`. Default none. */
  embeddingDimensionsByModel?: Record<string, number>;
  /** Delay before every answer, in milliseconds. Default 0. */
  latencyMs?: number;
  /** Minimum prompt size, in tokens, for prompt-prefix caching on OpenAI routes. Default 1024. */
  cacheMinTokens?: number;
  /** Per-provider quirks, keyed by OpenAI-compatible provider name. Default none. */
  providers?: Record<string, ProviderBehaviour>;
}

/** Answer with an HTTP error in the provider's error format. */
export interface StatusFault {
  status: number;
  /** Response body; default: a provider-shaped error JSON for the status. */
  body?: unknown;
  /** Raw `retry-after` header value: seconds (`'2'`) or an HTTP-date. */
  retryAfter?: string;
  /** Sets the `retry-after-ms` header (milliseconds). */
  retryAfterMs?: number;
}

/** One injected misbehaviour; exactly one shape per fault. */
export type FaultAction =
  | StatusFault
  /** Delay, in milliseconds, then answer normally. */
  | { latencyMs: number }
  /** Accept the request and never answer until the client goes away. */
  | { hang: true }
  /** Destroy the socket without any response. */
  | { drop: true }
  /** Send the status line and part of the body (some stream chunks), then destroy the socket. */
  | { dropMidStream: true }
  /**
   * 200 with a syntactically broken JSON body; in streams a broken SSE data line after the first chunk,
   * or (Ollama NDJSON) a broken line in place of the final `done` line.
   */
  | { malformed: true }
  /** Answer normally, but stream with this pause (ms) between frames: a slow stream a client may give up on. */
  | { frameDelayMs: number }
  /** Answer normally but omit `usage` (OpenAI) or the token counts (Ollama). */
  | { missingUsage: true }
  /** Ollama's real out-of-memory error: HTTP 500 with its `error` text. */
  | { ollamaOom: true }
  /** Scripted assistant content for the matching chat call (applies to chat routes only). */
  | { content: string };

/** Route selector of a fault: one route or `*` (every route). */
export type FaultRoute = SimRoute | '*';

/** A fault as passed to `sim.faults.add` or `POST /__sim/faults`. */
export type FaultSpec = FaultAction & {
  /** `ollama` or an OpenAI-compatible provider name (`openai`, `dashscope`, ...). */
  provider: string;
  /** Default `*`. */
  route?: FaultRoute;
  /** How many matching requests this fault applies to before it is used up. Default Infinity. */
  times?: number;
};

/** One request seen by the simulator (admin requests are not recorded). */
export interface SimRequestRecord {
  /** Sequential id, from 1. */
  id: number;
  provider: string;
  route: SimRoute;
  /** `model` field of the body, when present. */
  model?: string;
  /** Whether the response is streamed (Ollama: `stream !== false`; OpenAI: `stream === true`). */
  stream: boolean;
  /** ms epoch when the request arrived. */
  startedAt: number;
  /** ms epoch when the full response was written. */
  endedAt?: number;
  /** HTTP status sent, when a status line was sent. */
  status?: number;
  /**
   * True when the connection closed before the response was complete (the client aborted, or
   * `sim.close()` cut it), but not when a `drop` / `dropMidStream` fault cut it on purpose.
   */
  aborted: boolean;
  /** ms epoch when the exchange closed: response finished, client went away, or the simulator dropped it. */
  closedAt?: number;
  /** The fault applied to this request, if any (without `provider`/`route`/`times`). */
  fault?: FaultAction;
  /** Prompt tokens served from the simulated prompt cache (OpenAI chat routes). */
  cachedTokens?: number;
  /** The client's `X-Client-Request-Id` header (the router sends its ledger row id), when present. */
  clientRequestId?: string;
  /** Parsed JSON request body (`undefined` for GET or an unparsable body). */
  body: unknown;
}

/**
 * One request the simulated provider would bill: it produced an answer (usage below), whether or not the client
 * received it. Requests refused with an error status, dropped before an answer or left hanging are not billed.
 */
export interface SimBillingEntry {
  /** The request's record id. */
  requestId: number;
  /** The client's `X-Client-Request-Id`, when it sent one. */
  clientRequestId?: string;
  provider: string;
  route: SimRoute;
  model: string;
  inputTokens: number;
  cachedInputTokens: number;
  /** Output tokens billed, reasoning included. */
  outputTokens: number;
  reasoningTokens: number;
  /** True when the client had gone (timeout, abort) or the answer was cut before the client had all of it. */
  clientGone: boolean;
}

/** Counters returned by `sim.stats()` and `GET /__sim/stats`. */
export interface SimStats {
  requests: number;
  /** Requests still open. */
  inFlight: number;
  /** Request counts per provider, then per route. */
  byProvider: Record<string, Partial<Record<SimRoute, number>>>;
  /** Faults not yet used up, in match order. */
  pendingFaults: FaultSpec[];
}
