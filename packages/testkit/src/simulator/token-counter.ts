import { countTokens, decode, encode } from 'gpt-tokenizer';

/** Treat special-token text such as `<|endoftext|>` in user input as plain text instead of throwing. */
const PLAIN = { disallowedSpecial: new Set<string>() };

/** Overhead added per chat message, in tokens (role, separators), roughly what OpenAI bills. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Fixed cost of one image in a chat prompt, in tokens (OpenAI's low-detail tile price). */
export const IMAGE_TOKENS = 85;

/** o200k_base token count of `text`. */
export function tokenCount(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, PLAIN);
}

/** `text` cut to at most `maxTokens` tokens; `truncated` says whether anything was cut. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  const tokens = encode(text, PLAIN);
  if (tokens.length <= maxTokens) return { text, truncated: false };
  return { text: decode(tokens.slice(0, Math.max(0, maxTokens))), truncated: true };
}

/** Decodes OpenAI token-array embedding input back to text. */
export function decodeTokens(tokens: readonly number[]): string {
  return decode(tokens);
}
