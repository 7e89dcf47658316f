import { countTokens } from 'gpt-tokenizer';

/** Fixed per-message framing tokens (role markers) that chat APIs add around each message. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REPLY = 3;

export interface TokenizableMessage {
  content: string;
  images?: readonly unknown[] | undefined;
}

/** Tokens of a text with a real BPE tokenizer (o200k_base); used when a provider reports no usage. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

/** Tokenizer estimate of a chat prompt: content tokens plus message framing (images not included). */
export function estimatePromptTokens(messages: readonly TokenizableMessage[]): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) total += TOKENS_PER_MESSAGE + countTextTokens(message.content);
  return total;
}

/**
 * A bound that no byte-level BPE tokenizer can exceed: every token covers at least one UTF-8 byte.
 * Used for the worst-case budget reservation, so a model whose tokenizer differs from ours can never
 * be billed more input than we reserved. Images are bounded by the model's `maxImageTokens`.
 */
export function promptTokenUpperBound(
  messages: readonly TokenizableMessage[],
  maxImageTokens: number,
): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + Buffer.byteLength(message.content, 'utf8');
    total += (message.images?.length ?? 0) * maxImageTokens;
  }
  return total;
}
