import { isRecord } from './is-record.ts';
import { SimHttpError } from './sim-http-error.ts';
import { IMAGE_TOKENS, MESSAGE_OVERHEAD_TOKENS, tokenCount } from './token-counter.ts';

/** A chat message in the simulator's protocol-neutral form. */
export interface SimMessage {
  role: string;
  /** Text parts joined with a newline. */
  text: string;
  /** Base64 image payloads (no `data:` prefix). */
  images: string[];
}

function requireMessages(body: Record<string, unknown>): unknown[] {
  const messages = body.messages;
  if (!Array.isArray(messages)) throw new SimHttpError(400, "'messages' must be an array", 'invalid_type');
  return messages;
}

/** Ollama `/api/chat` messages: `{ role, content, images?: base64[] }`. */
export function parseOllamaMessages(body: Record<string, unknown>): SimMessage[] {
  return requireMessages(body).map((raw) => {
    if (!isRecord(raw)) throw new SimHttpError(400, 'invalid message');
    const images = Array.isArray(raw.images) ? raw.images.filter((x) => typeof x === 'string') : [];
    return {
      role: String(raw.role ?? 'user'),
      text: typeof raw.content === 'string' ? raw.content : '',
      images,
    };
  });
}

const DATA_URL = /^data:image\/[\w.+-]+;base64,(.*)$/s;

/** OpenAI chat messages: content is a string, `null`, or an array of text / image_url parts. */
export function parseOpenAiMessages(body: Record<string, unknown>): SimMessage[] {
  return requireMessages(body).map((raw, index) => {
    if (!isRecord(raw)) throw new SimHttpError(400, `Invalid type for 'messages[${index}]'`, 'invalid_type');
    const role = String(raw.role ?? 'user');
    const content = raw.content;
    if (typeof content === 'string') return { role, text: content, images: [] };
    if (!Array.isArray(content)) return { role, text: '', images: [] };
    const texts: string[] = [];
    const images: string[] = [];
    for (const part of content) {
      if (!isRecord(part)) continue;
      if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
      if (part.type === 'image_url') {
        const url = isRecord(part.image_url) ? part.image_url.url : undefined;
        const match = typeof url === 'string' ? DATA_URL.exec(url) : null;
        if (!match) {
          throw new SimHttpError(
            400,
            `Invalid image in 'messages[${index}]': the simulator accepts only data:image/...;base64 URLs`,
            'invalid_image_url',
          );
        }
        images.push(match[1] ?? '');
      }
    }
    return { role, text: texts.join('\n'), images };
  });
}

/** Prompt tokens of `messages`: content tokens + per-message overhead + a fixed cost per image. */
export function promptTokens(messages: readonly SimMessage[], imageTokens: number = IMAGE_TOKENS): number {
  let total = 0;
  for (const message of messages) {
    total += tokenCount(message.text) + MESSAGE_OVERHEAD_TOKENS + message.images.length * imageTokens;
  }
  return total;
}

/** The last message with role `user` (the one the simulated model answers). */
export function lastUserMessage(messages: readonly SimMessage[]): SimMessage | undefined {
  return messages.findLast((message) => message.role === 'user');
}

/** Whether any system/developer/user message mentions JSON (prompt-driven JSON mode). */
export function promptAsksForJson(messages: readonly SimMessage[]): boolean {
  return messages.some(
    (message) => ['system', 'developer', 'user'].includes(message.role) && /\bjson\b/i.test(message.text),
  );
}
