import { Ollama } from 'ollama';
import {
  BadResponseError,
  badResponseFailure,
  connectionFailure,
  failureFromStatus,
  isConnectionError,
} from './http-failure.ts';
import {
  type AttemptContext,
  type ChatRequest,
  type ChatResponse,
  CLIENT_REQUEST_ID_HEADER,
  type EmbedRequest,
  type EmbedResponse,
  type ProviderAdapter,
  type ProviderFailure,
  type ProviderUsage,
} from './provider.ts';

export interface OllamaProviderOptions {
  /** Defaults to `ollama`. */
  name?: string | undefined;
  /** e.g. `http://127.0.0.1:11434`. */
  baseUrl: string;
  fetch?: typeof fetch | undefined;
}

/** The texts Ollama (llama.cpp / CUDA / Metal) uses when a model does not fit; they fall through to the cloud. */
const OUT_OF_MEMORY =
  /out of memory|requires more system memory|insufficient memory|cudaMalloc failed|not enough memory|failed to allocate/i;

interface OllamaCounts {
  prompt_eval_count?: number;
  eval_count?: number;
}

function toUsage(counts: OllamaCounts): ProviderUsage | undefined {
  // Ollama omits prompt_eval_count when the whole prompt came from its KV cache; then we have no usage.
  if (typeof counts.prompt_eval_count !== 'number') return undefined;
  return {
    inputTokens: counts.prompt_eval_count,
    cachedInputTokens: 0,
    outputTokens: counts.eval_count ?? 0,
    // Ollama counts a thinking model's reasoning in eval_count without reporting it apart.
    reasoningTokens: 0,
  };
}

/** Local Ollama over the `ollama` npm client. Free; health and pulled models are checked by the router. */
export function createOllamaProvider(options: OllamaProviderOptions): ProviderAdapter {
  const name = options.name ?? 'ollama';
  const baseFetch = options.fetch ?? fetch;

  // ollama-js only lets streamed calls be aborted (and only all at once), so each attempt gets a client whose
  // fetch carries that attempt's signal: cancellation then reaches the HTTP request on every route.
  function clientFor(signal: AbortSignal, requestId?: string): Ollama {
    const attemptFetch: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (requestId !== undefined) headers.set(CLIENT_REQUEST_ID_HEADER, requestId);
      return baseFetch(input, {
        ...init,
        headers,
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      });
    };
    return new Ollama({ host: options.baseUrl, fetch: attemptFetch });
  }

  async function chat(request: ChatRequest, context: AttemptContext): Promise<ChatResponse> {
    const client = clientFor(context.signal, context.requestId);
    const messages = request.messages.map((message) => ({
      role: message.role,
      content: message.content,
      ...(message.images?.length
        ? { images: message.images.map((image) => Buffer.from(image.data).toString('base64')) }
        : {}),
    }));
    const format = request.json ? (request.json.schema ?? 'json') : undefined;
    const options = {
      num_predict: request.maxOutputTokens,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
    if (!request.stream) {
      const response = await client.chat({ model: request.model, messages, format, options, stream: false });
      if (typeof response.message?.content !== 'string')
        throw new BadResponseError('no message.content in the reply');
      return { text: response.message.content, usage: toUsage(response), finishReason: response.done_reason };
    }
    const stream = await client.chat({ model: request.model, messages, format, options, stream: true });
    let text = '';
    let usage: ProviderUsage | undefined;
    let finishReason: string | undefined;
    for await (const part of stream) {
      const delta = part.message?.content;
      if (delta) {
        text += delta;
        request.onText?.(delta);
      }
      if (part.done) {
        usage = toUsage(part);
        finishReason = part.done_reason ?? 'stop';
      }
    }
    // A stream cut by our timeout or abort, or one that ended without its `done` line, is not an answer: the
    // reply is partial and its usage (only on the final line) lost. The router bills it as estimated.
    context.signal.throwIfAborted();
    if (finishReason === undefined)
      throw new BadResponseError('the stream ended without its final done line');
    return { text, usage, finishReason };
  }

  async function embed(request: EmbedRequest, context: AttemptContext): Promise<EmbedResponse> {
    const response = await clientFor(context.signal, context.requestId).embed({
      model: request.model,
      input: request.input,
    });
    if (!Array.isArray(response.embeddings) || response.embeddings.length !== request.input.length) {
      throw new BadResponseError(
        `expected ${request.input.length} embeddings, got ${response.embeddings?.length ?? 0}`,
      );
    }
    const inputTokens = (response as OllamaCounts).prompt_eval_count;
    return {
      vectors: response.embeddings,
      usage: typeof inputTokens === 'number' ? { inputTokens } : undefined,
    };
  }

  async function listModels(context: AttemptContext): Promise<string[]> {
    const response = await clientFor(context.signal).list();
    return response.models.map((model) => model.name);
  }

  function classify(error: unknown): ProviderFailure {
    const status = (error as { status_code?: unknown }).status_code;
    if (error instanceof Error && typeof status === 'number') {
      if (OUT_OF_MEMORY.test(error.message)) {
        // Not a health problem of Ollama itself: the model does not fit now. Fall through, don't trip the breaker.
        return {
          code: 'PROVIDER_OUT_OF_MEMORY',
          httpStatus: status,
          message: `${name} is out of memory: ${error.message}`,
        };
      }
      return failureFromStatus(name, status, error.message, undefined);
    }
    if (error instanceof BadResponseError || error instanceof SyntaxError)
      return badResponseFailure(name, error.message);
    if (isConnectionError(error)) return connectionFailure(name, error);
    return badResponseFailure(name, error instanceof Error ? error.message : String(error));
  }

  return {
    name,
    kind: 'ollama',
    local: true,
    breakerKey: `${name}:local`,
    disabledReason: undefined,
    chat,
    embed,
    listModels,
    classify,
  };
}
