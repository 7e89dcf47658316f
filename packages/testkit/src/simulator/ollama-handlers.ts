import { createHash } from 'node:crypto';
import { parseOllamaMessages, promptAsksForJson, promptTokens } from './chat-messages.ts';
import { composeReply, streamPieces } from './chat-reply.ts';
import { ollamaErrorBody } from './error-bodies.ts';
import type { Exchange } from './exchange.ts';
import { scriptedContent, usageMissing } from './exchange.ts';
import { hashingEmbedding } from './hashing-embedder.ts';
import { isRecord } from './is-record.ts';
import { SimHttpError } from './sim-http-error.ts';
import { bill, embeddingDimensionsFor, isKnownModel, modelsOf } from './simulator-state.ts';
import { tokenCount } from './token-counter.ts';

/** Version reported by `/api/version`. */
export const SIMULATED_OLLAMA_VERSION = '0.12.6';

const NDJSON = 'application/x-ndjson';
/** Broken NDJSON line for the `malformed` fault. */
export const OLLAMA_MALFORMED_FRAME = '{"model":"sim","message":{"role":"assistant","content":"trunc\n';

// Synthetic, deterministic timings (nanoseconds) so tests can assert exact numbers.
const LOAD_NS = 1_000_000;
const PROMPT_NS_PER_TOKEN = 50_000;
const EVAL_NS_PER_TOKEN = 10_000_000;

function requireModel(exchange: Exchange): string {
  const model = exchange.body.model;
  if (typeof model !== 'string' || model === '') throw new SimHttpError(400, 'model is required');
  if (!isKnownModel(exchange.state, 'ollama', model)) {
    throw new SimHttpError(404, `model "${model}" not found, try pulling it first`);
  }
  return model;
}

function describeModel(name: string): Record<string, unknown> {
  const digest = createHash('sha256').update(name).digest('hex');
  const size = /(\d+(?:\.\d+)?)b\b/i.exec(name)?.[1];
  const family = name.split(/[:.\d]/)[0] ?? name;
  return {
    name,
    model: name,
    modified_at: '2025-01-01T00:00:00.000000000Z',
    size: 1_000_000_000 + (Number.parseInt(digest.slice(0, 6), 16) % 1_000_000_000),
    digest,
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: [family],
      parameter_size: size === undefined ? '567M' : `${size}B`,
      quantization_level: 'Q4_K_M',
    },
  };
}

async function chat(exchange: Exchange): Promise<void> {
  const { body } = exchange;
  const model = requireModel(exchange);
  const messages = parseOllamaMessages(body);
  const options = isRecord(body.options) ? body.options : {};
  const numPredict =
    typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : undefined;
  const wantsJson = body.format === 'json' || isRecord(body.format) || promptAsksForJson(messages);
  const reply = await composeReply({
    model,
    messages,
    wantsJson,
    maxTokens: numPredict,
    scripted: scriptedContent(exchange),
  });
  const promptCount = promptTokens(messages);
  const evalCount = tokenCount(reply.content);
  bill(exchange.state, {
    requestId: exchange.record.id,
    provider: 'ollama',
    route: 'chat',
    model,
    inputTokens: promptCount,
    cachedInputTokens: 0,
    outputTokens: evalCount,
    reasoningTokens: 0,
  });
  const promptNs = promptCount * PROMPT_NS_PER_TOKEN;
  const evalNs = evalCount * EVAL_NS_PER_TOKEN;
  const counts = usageMissing(exchange) ? {} : { prompt_eval_count: promptCount, eval_count: evalCount };
  const final = {
    done: true,
    done_reason: reply.finishReason,
    total_duration: LOAD_NS + promptNs + evalNs,
    load_duration: LOAD_NS,
    prompt_eval_duration: promptNs,
    eval_duration: evalNs,
    ...counts,
  };
  const createdAt = new Date().toISOString();
  if (body.stream === false) {
    await exchange.respond.json(200, {
      model,
      created_at: createdAt,
      message: { role: 'assistant', content: reply.content },
      ...final,
    });
    return;
  }
  const frames = streamPieces(reply.content).map(
    (piece) =>
      `${JSON.stringify({ model, created_at: createdAt, message: { role: 'assistant', content: piece }, done: false })}\n`,
  );
  frames.push(
    `${JSON.stringify({ model, created_at: createdAt, message: { role: 'assistant', content: '' }, ...final })}\n`,
  );
  await exchange.respond.stream(NDJSON, frames);
}

async function embed(exchange: Exchange): Promise<void> {
  const { body } = exchange;
  const model = requireModel(exchange);
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
  if (texts === undefined || !texts.every((text) => typeof text === 'string')) {
    throw new SimHttpError(400, 'invalid input type');
  }
  const dim = embeddingDimensionsFor(exchange.state, model, body.dimensions);
  const promptCount = texts.reduce((sum, text) => sum + tokenCount(text), 0);
  bill(exchange.state, {
    requestId: exchange.record.id,
    provider: 'ollama',
    route: 'embed',
    model,
    inputTokens: promptCount,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  });
  await exchange.respond.json(200, {
    model,
    embeddings: texts.map((text) => hashingEmbedding(text, dim, model)),
    total_duration: LOAD_NS + promptCount * PROMPT_NS_PER_TOKEN,
    load_duration: LOAD_NS,
    ...(usageMissing(exchange) ? {} : { prompt_eval_count: promptCount }),
  });
}

/** Answers Ollama's `/api/tags`, `/api/version`, `/api/chat` and `/api/embed`. */
export async function handleOllama(exchange: Exchange): Promise<void> {
  switch (exchange.route) {
    case 'tags':
      return exchange.respond.json(200, { models: modelsOf(exchange.state, 'ollama').map(describeModel) });
    case 'version':
      return exchange.respond.json(200, { version: SIMULATED_OLLAMA_VERSION });
    case 'chat':
      return chat(exchange);
    case 'embed':
      return embed(exchange);
    default:
      return exchange.respond.json(404, ollamaErrorBody(404, '404 page not found'));
  }
}
