import type { Exchange } from './exchange.ts';
import { usageMissing } from './exchange.ts';
import { embeddingToBase64, hashingEmbedding } from './hashing-embedder.ts';
import { handleOpenAiChat, requireOpenAiModel } from './openai-chat.ts';
import { SimHttpError } from './sim-http-error.ts';
import { behaviourOf, bill, embeddingDimensionsFor, modelsOf } from './simulator-state.ts';
import { decodeTokens, tokenCount } from './token-counter.ts';

/** Fixed `created` of listed models (seconds epoch), so listings are deterministic. */
const MODEL_CREATED = 1_700_000_000;

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number');
}

/** OpenAI embedding input: a string, strings, a token array, or token arrays. */
function embeddingTexts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (isTokenArray(input) && input.length > 0) return [decodeTokens(input)];
  if (Array.isArray(input) && input.length > 0) {
    return input.map((item, index) => {
      if (typeof item === 'string') return item;
      if (isTokenArray(item)) return decodeTokens(item);
      throw new SimHttpError(400, `Invalid type for 'input[${index}]'`, 'invalid_type');
    });
  }
  throw new SimHttpError(400, "'$.input' is invalid. Please check the API reference", null);
}

async function embeddings(exchange: Exchange): Promise<void> {
  const { body } = exchange;
  const model = requireOpenAiModel(exchange);
  const texts = embeddingTexts(body.input);
  const dim = embeddingDimensionsFor(exchange.state, model, body.dimensions);
  // The real API answers base64 unless asked for floats; some compatible servers ignore the field entirely.
  const encoding = behaviourOf(exchange.state, exchange.provider).embeddingEncoding;
  const base64 = encoding === 'request' ? body.encoding_format !== 'float' : encoding === 'base64';
  const promptTokens = texts.reduce((sum, text) => sum + tokenCount(text), 0);
  bill(exchange.state, {
    requestId: exchange.record.id,
    provider: exchange.provider,
    route: 'embed',
    model,
    inputTokens: promptTokens,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  });
  await exchange.respond.json(
    200,
    {
      object: 'list',
      data: texts.map((text, index) => {
        const vector = hashingEmbedding(text, dim, model);
        return { object: 'embedding', index, embedding: base64 ? embeddingToBase64(vector) : vector };
      }),
      model,
      ...(usageMissing(exchange)
        ? {}
        : { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }),
    },
    { 'x-request-id': `req_sim_${exchange.record.id}` },
  );
}

/** Answers `/{provider}/v1/models`, `/chat/completions` and `/embeddings`. */
export async function handleOpenAi(exchange: Exchange): Promise<void> {
  switch (exchange.route) {
    case 'models':
      return exchange.respond.json(200, {
        object: 'list',
        data: modelsOf(exchange.state, exchange.provider).map((id) => ({
          id,
          object: 'model',
          created: MODEL_CREATED,
          owned_by: exchange.provider,
        })),
      });
    case 'chat':
      return handleOpenAiChat(exchange);
    case 'embed':
      return embeddings(exchange);
    default:
      throw new SimHttpError(404, 'Invalid URL', null);
  }
}
