import type { SimMessage } from './chat-messages.ts';
import { lastUserMessage } from './chat-messages.ts';
import { extractGraph } from './entity-extraction.ts';
import { describeImage } from './image-describer.ts';
import { truncateToTokens } from './token-counter.ts';

/** What the simulated model is asked. */
export interface ReplyRequest {
  model: string;
  messages: readonly SimMessage[];
  /** JSON mode (response_format / format / a prompt mentioning JSON). */
  wantsJson: boolean;
  /** Upper bound on output tokens (`max_tokens`, `max_completion_tokens`, `num_predict`). */
  maxTokens?: number;
  /** Scripted content from a `content` fault; replaces the generated text. */
  scripted?: string;
}

/** The simulated model's answer. */
export interface Reply {
  content: string;
  /** `length` when `maxTokens` cut the content. */
  finishReason: 'stop' | 'length';
}

const REPLY_WORDS = 20;

/**
 * Deterministic answer: scripted content, else an image description (images in the last user message),
 * else the extraction JSON in JSON mode, else `Simulated reply from <model>: <first 20 words>`.
 */
export async function composeReply(request: ReplyRequest): Promise<Reply> {
  const last = lastUserMessage(request.messages);
  let content: string;
  if (request.scripted !== undefined) {
    content = request.scripted;
  } else if (last !== undefined && last.images.length > 0) {
    const descriptions = await Promise.all(last.images.map(describeImage));
    content = descriptions.join(' ');
  } else if (request.wantsJson) {
    content = JSON.stringify(extractGraph(last?.text ?? ''));
  } else {
    const words = (last?.text ?? '').split(/\s+/).filter(Boolean).slice(0, REPLY_WORDS);
    content = `Simulated reply from ${request.model}: ${words.length > 0 ? words.join(' ') : '(empty)'}`;
  }
  if (request.maxTokens === undefined) return { content, finishReason: 'stop' };
  const cut = truncateToTokens(content, request.maxTokens);
  return { content: cut.text, finishReason: cut.truncated ? 'length' : 'stop' };
}

/** Splits text into word-sized stream pieces whose concatenation is the text. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Deterministic "reasoning" for thinking-mode streams. */
export function reasoningFor(messages: readonly SimMessage[]): string {
  const words = (lastUserMessage(messages)?.text ?? '').split(/\s+/).filter(Boolean).slice(0, 10);
  return `Considering the request "${words.join(' ')}" step by step before answering.`;
}
