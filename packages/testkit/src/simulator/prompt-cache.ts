import { createHash } from 'node:crypto';
import type { SimMessage } from './chat-messages.ts';
import { promptTokens } from './chat-messages.ts';

/** Simulated provider-side prompt caching (OpenAI-style: prefix match, 128-token granularity). */
export interface PromptCache {
  /**
   * Returns the cached prompt tokens for this request, then remembers its message prefixes.
   * A hit is the longest remembered prefix of all messages but the last; it counts only when the
   * whole prompt has at least `minTokens` tokens, and is rounded down to a multiple of 128.
   */
  lookupAndRemember(scope: string, messages: readonly SimMessage[], totalPromptTokens: number): number;
  clear(): void;
}

const CACHE_GRANULARITY = 128;

function prefixHashes(scope: string, messages: readonly SimMessage[]): string[] {
  const hashes: string[] = [];
  let previous = createHash('sha256').update(scope).digest('hex');
  for (const message of messages) {
    previous = createHash('sha256')
      .update(previous)
      .update(JSON.stringify([message.role, message.text, message.images]))
      .digest('hex');
    hashes.push(previous);
  }
  return hashes;
}

export function createPromptCache(minTokens: number): PromptCache {
  const remembered = new Set<string>();
  return {
    lookupAndRemember(scope, messages, totalPromptTokens) {
      const hashes = prefixHashes(scope, messages);
      let cached = 0;
      if (totalPromptTokens >= minTokens) {
        for (let length = messages.length - 1; length > 0; length--) {
          if (remembered.has(hashes[length - 1] ?? '')) {
            const prefixTokens = promptTokens(messages.slice(0, length));
            cached = Math.floor(prefixTokens / CACHE_GRANULARITY) * CACHE_GRANULARITY;
            break;
          }
        }
      }
      for (const hash of hashes) remembered.add(hash);
      return cached;
    },
    clear() {
      remembered.clear();
    },
  };
}
