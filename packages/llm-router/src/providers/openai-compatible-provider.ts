import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { parseRetryAfter } from '../retry-after.ts';
import {
  BadResponseError,
  badResponseFailure,
  connectionFailure,
  failureFromStatus,
  isConnectionError,
} from './http-failure.ts';
import {
  type AttemptContext,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  CLIENT_REQUEST_ID_HEADER,
  type EmbedRequest,
  type EmbedResponse,
  type ProviderAdapter,
  type ProviderFailure,
  type ProviderUsage,
} from './provider.ts';

export interface OpenAiCompatibleProviderOptions {
  /** Provider name used in routing, ledger and metrics: `openai`, `dashscope`, `groq`, `openrouter`, ... */
  name: string;
  baseUrl: string;
  /** Without a key the provider is disabled (and says so); it is never called. */
  apiKey?: string | undefined;
  /** Injected for tests and benchmarks; defaults to the global fetch. */
  fetch?: typeof fetch | undefined;
  /** Sent on every request (e.g. OpenRouter's `HTTP-Referer`). */
  headers?: Record<string, string> | undefined;
  /**
   * Body field of the output cap: `max_completion_tokens` (OpenAI's name; its o-series refuse `max_tokens`) or
   * `max_tokens` (providers that only know the deprecated name). Default `max_completion_tokens` for `openai`
   * and `groq`, `max_tokens` otherwise.
   */
  outputCapField?: 'max_completion_tokens' | 'max_tokens' | undefined;
}

/** Extra body fields the SDK's types don't know (DashScope's `enable_thinking`, ...). */
type WithExtraBody<T> = T & Record<string, unknown>;

interface UsageShape {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

function toUsage(usage: UsageShape | null | undefined): ProviderUsage | undefined {
  if (!usage || typeof usage.prompt_tokens !== 'number') return undefined;
  const completion = usage.completion_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    // OpenAI counts reasoning inside completion_tokens; a server reporting more reasoning than completion
    // tokens evidently counted them apart, and they are billed all the same.
    outputTokens: reasoning > completion ? completion + reasoning : completion,
    reasoningTokens: reasoning,
  };
}

function attemptOptions(context: AttemptContext) {
  return {
    signal: context.signal,
    timeout: context.timeoutMs + 1_000,
    ...(context.requestId === undefined
      ? {}
      : { headers: { [CLIENT_REQUEST_ID_HEADER]: context.requestId } }),
  };
}

/** One embedding as floats, whichever encoding the server chose (`encoding_format` is not honoured everywhere). */
export function decodeEmbedding(embedding: unknown): number[] | undefined {
  if (Array.isArray(embedding)) return embedding as number[];
  if (typeof embedding !== 'string') return undefined;
  const bytes = Buffer.from(embedding, 'base64');
  if (bytes.byteLength % 4 !== 0) return undefined;
  const floats = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(floats.buffer).set(bytes);
  return Array.from(floats);
}

function toMessage(message: ChatMessage): ChatCompletionMessageParam {
  if (message.role !== 'user' || !message.images?.length) {
    return { role: message.role, content: message.content };
  }
  const parts: ChatCompletionContentPart[] = [{ type: 'text', text: message.content }];
  for (const image of message.images) {
    const url = `data:${image.mimeType};base64,${Buffer.from(image.data).toString('base64')}`;
    parts.push({ type: 'image_url', image_url: { url } });
  }
  return { role: 'user', content: parts };
}

/** OpenAI, DashScope (compatible mode), Groq, OpenRouter: one adapter over the `openai` SDK with a baseURL. */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleProviderOptions): ProviderAdapter {
  const { name } = options;
  const capField =
    options.outputCapField ?? (name === 'openai' || name === 'groq' ? 'max_completion_tokens' : 'max_tokens');
  const keyHash = createHash('sha256')
    .update(options.apiKey ?? '')
    .digest('hex')
    .slice(0, 12);
  const client = options.apiKey
    ? new OpenAI({
        apiKey: options.apiKey,
        baseURL: options.baseUrl,
        // The router is the only retry loop: SDK retries would hide failures from breakers and the ledger.
        maxRetries: 0,
        fetch: options.fetch,
        defaultHeaders: options.headers,
      })
    : undefined;

  function requireClient(): OpenAI {
    if (!client) throw new Error(`${name} is disabled: no API key`);
    return client;
  }

  async function chat(request: ChatRequest, context: AttemptContext): Promise<ChatResponse> {
    const openai = requireClient();
    // DashScope only allows thinking on streamed calls, so thinking forces streaming.
    const stream = request.stream || request.extraBody?.enable_thinking === true;
    const body: WithExtraBody<OpenAI.ChatCompletionCreateParamsNonStreaming> = {
      ...request.extraBody,
      model: request.model,
      messages: request.messages.map(toMessage),
      [capField]: request.maxOutputTokens,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
    };
    const requestOptions = attemptOptions(context);
    if (!stream) {
      const completion = await openai.chat.completions.create(body, requestOptions);
      const choice = completion.choices[0];
      if (!choice || typeof choice.message?.content !== 'string') {
        throw new BadResponseError('no choices[0].message.content in the completion');
      }
      return {
        text: choice.message.content,
        usage: toUsage(completion.usage),
        finishReason: choice.finish_reason,
      };
    }
    const chunks = await openai.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      requestOptions,
    );
    let text = '';
    let usage: ProviderUsage | undefined;
    let finishReason: string | undefined;
    for await (const chunk of chunks) {
      // Usage may arrive on its own empty-choices chunk (OpenAI) or on the last chunk that still has a
      // choice (some compatible providers): read it wherever it is, never only from empty-choice chunks.
      usage = toUsage(chunk.usage) ?? usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta?.content;
      if (delta) {
        text += delta;
        request.onText?.(delta);
      }
      finishReason = choice.finish_reason ?? finishReason;
    }
    // The SDK ends the iteration quietly when the signal aborts: a stream cut by our timeout or abort, or one
    // that ended before its finish_reason, is not an answer (partial text, and the usage chunk never came).
    context.signal.throwIfAborted();
    if (finishReason === undefined) throw new BadResponseError('the stream ended before its finish_reason');
    return { text, usage, finishReason };
  }

  async function embed(request: EmbedRequest, context: AttemptContext): Promise<EmbedResponse> {
    const openai = requireClient();
    // Without `encoding_format` the SDK asks for base64 and decodes it; a server that ignores the field and
    // answers floats then yields garbage. Ask for floats explicitly and decode whichever form comes back.
    const response = await openai.embeddings.create(
      {
        model: request.model,
        input: request.input,
        encoding_format: 'float',
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      },
      attemptOptions(context),
    );
    const vectors: number[][] = new Array(request.input.length);
    for (const item of response.data) {
      const vector = decodeEmbedding(item.embedding);
      if (vector === undefined)
        throw new BadResponseError(`embedding ${item.index} is neither floats nor base64`);
      vectors[item.index] = vector;
    }
    if (response.data.length !== request.input.length || vectors.some((vector) => !Array.isArray(vector))) {
      throw new BadResponseError(`expected ${request.input.length} embeddings, got ${response.data.length}`);
    }
    const inputTokens = response.usage?.prompt_tokens;
    return { vectors, usage: typeof inputTokens === 'number' ? { inputTokens } : undefined };
  }

  async function listModels(context: AttemptContext): Promise<string[]> {
    const page = await requireClient().models.list({ signal: context.signal, timeout: context.timeoutMs });
    return page.data.map((model) => model.id);
  }

  function classify(error: unknown): ProviderFailure {
    if (error instanceof OpenAI.APIConnectionError) return connectionFailure(name, error);
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      const detail = error.message.replace(/^\d{3}\s*/, '') || 'no detail';
      return failureFromStatus(name, error.status, detail, parseRetryAfter(error.headers));
    }
    if (error instanceof BadResponseError || error instanceof SyntaxError)
      return badResponseFailure(name, error.message);
    if (error instanceof OpenAI.OpenAIError && /JSON|parse/i.test(error.message))
      return badResponseFailure(name, error.message);
    if (isConnectionError(error)) return connectionFailure(name, error);
    return badResponseFailure(name, error instanceof Error ? error.message : String(error));
  }

  return {
    name,
    kind: 'openai-compatible',
    local: false,
    breakerKey: `${name}:${keyHash}`,
    disabledReason: options.apiKey ? undefined : `no API key configured for ${name}`,
    chat,
    embed,
    listModels,
    classify,
  };
}
