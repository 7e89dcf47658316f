import { parseOpenAiMessages, promptAsksForJson, promptTokens } from './chat-messages.ts';
import type { Reply } from './chat-reply.ts';
import { composeReply, reasoningFor, streamPieces } from './chat-reply.ts';
import type { Exchange } from './exchange.ts';
import { scriptedContent, usageMissing } from './exchange.ts';
import { isRecord } from './is-record.ts';
import { SimHttpError } from './sim-http-error.ts';
import { behaviourOf, bill, isKnownModel, isOSeries } from './simulator-state.ts';
import { tokenCount } from './token-counter.ts';

/** Broken SSE data line for the `malformed` fault. */
export const OPENAI_MALFORMED_FRAME =
  'data: {"id":"chatcmpl-sim","object":"chat.completion.chunk","choices":[{"delta":\n\n';

const SSE = 'text/event-stream; charset=utf-8';

/** OpenAI's chat usage object. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** Validates the model and returns it (404 `model_not_found` under `strictModels`). */
export function requireOpenAiModel(exchange: Exchange): string {
  const model = exchange.body.model;
  if (typeof model !== 'string' || model === '') {
    throw new SimHttpError(400, 'you must provide a model parameter', null);
  }
  if (!isKnownModel(exchange.state, exchange.provider, model)) {
    throw new SimHttpError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'model_not_found',
    );
  }
  return model;
}

function maxTokensOf(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}

function wantsJsonFormat(body: Record<string, unknown>): boolean {
  const format = body.response_format;
  return isRecord(format) && (format.type === 'json_object' || format.type === 'json_schema');
}

function usageOf(prompt: number, cached: number, completion: number, reasoning: number): OpenAiUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

interface StreamPlan {
  id: string;
  model: string;
  reply: Reply;
  reasoning: string | undefined;
  usage: OpenAiUsage | undefined;
  includeUsage: boolean;
  usageOnChoiceChunk: boolean;
}

function sseFrames(plan: StreamPlan): string[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], usage: OpenAiUsage | null | undefined): string => {
    const payload = {
      id: plan.id,
      object: 'chat.completion.chunk',
      created,
      model: plan.model,
      system_fingerprint: 'fp_simulator',
      choices,
      ...(plan.includeUsage ? { usage: usage ?? null } : {}),
    };
    return `data: ${JSON.stringify(payload)}\n\n`;
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null): unknown => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  const frames = [chunk([choice({ role: 'assistant', content: '', refusal: null })], null)];
  if (plan.reasoning !== undefined) {
    for (const piece of streamPieces(plan.reasoning)) {
      frames.push(chunk([choice({ content: null, reasoning_content: piece })], null));
    }
  }
  for (const piece of streamPieces(plan.reply.content))
    frames.push(chunk([choice({ content: piece })], null));
  const usageOnChoice = plan.includeUsage && plan.usageOnChoiceChunk ? plan.usage : undefined;
  frames.push(chunk([choice({}, plan.reply.finishReason)], usageOnChoice));
  if (plan.includeUsage && !plan.usageOnChoiceChunk && plan.usage !== undefined) {
    frames.push(chunk([], plan.usage));
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** Answers `POST /{provider}/v1/chat/completions` (non-streaming JSON or SSE chunks). */
export async function handleOpenAiChat(exchange: Exchange): Promise<void> {
  const { body, provider, state } = exchange;
  const model = requireOpenAiModel(exchange);
  const messages = parseOpenAiMessages(body);
  const behaviour = behaviourOf(state, provider);
  const stream = body.stream === true;
  const thinking = behaviour.dashscopeExtensions && body.enable_thinking === true;
  if (thinking && !stream) {
    throw new SimHttpError(
      400,
      '<400> InternalError.Algo.InvalidParameter: parameter.enable_thinking must be set to false for non-streaming calls',
      'invalid_parameter_error',
    );
  }
  const oSeries = isOSeries(provider, model);
  if (oSeries && body.max_tokens !== undefined) {
    throw new SimHttpError(
      400,
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      'unsupported_parameter',
    );
  }
  // Hidden reasoning of a thinking model: within the cap on the o-series, on top of it elsewhere.
  const hiddenReasoning = behaviour.thinkingModels[model] ?? 0;
  const cap = maxTokensOf(body);
  const replyCap = cap !== undefined && oSeries ? Math.max(0, cap - hiddenReasoning) : cap;
  const reply = await composeReply({
    model,
    messages,
    wantsJson: wantsJsonFormat(body) || promptAsksForJson(messages),
    maxTokens: replyCap,
    scripted: scriptedContent(exchange),
  });
  const reasoning = thinking ? reasoningFor(messages) : undefined;
  const reasoningTokens =
    (reasoning === undefined ? 0 : tokenCount(reasoning)) +
    (oSeries && cap !== undefined ? Math.min(hiddenReasoning, cap) : hiddenReasoning);
  const prompt = promptTokens(messages);
  const cached = state.promptCache.lookupAndRemember(`${provider}\u0000${model}`, messages, prompt);
  if (cached > 0) state.log.update(exchange.record, { cachedTokens: cached });
  const completion = tokenCount(reply.content) + reasoningTokens;
  bill(state, {
    requestId: exchange.record.id,
    provider,
    route: 'chat',
    model,
    inputTokens: prompt,
    cachedInputTokens: cached,
    outputTokens: completion,
    reasoningTokens,
  });
  const usage = usageMissing(exchange) ? undefined : usageOf(prompt, cached, completion, reasoningTokens);
  const id = `chatcmpl-sim${exchange.record.id}`;
  const headers = { 'x-request-id': `req_sim_${exchange.record.id}` };

  if (!stream) {
    await exchange.respond.json(
      200,
      {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: reply.finishReason,
          },
        ],
        ...(usage === undefined ? {} : { usage }),
        service_tier: 'default',
        system_fingerprint: 'fp_simulator',
      },
      headers,
    );
    return;
  }
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  const frames = sseFrames({
    id,
    model,
    reply,
    reasoning,
    usage,
    includeUsage: streamOptions.include_usage === true,
    usageOnChoiceChunk: behaviour.usageOnChoiceChunk,
  });
  await exchange.respond.stream(SSE, frames, headers);
}
