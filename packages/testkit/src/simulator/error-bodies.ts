import type { SimProtocol } from './types.ts';

/** Ollama's real out-of-memory error text (HTTP 500). */
export const OLLAMA_OOM_MESSAGE = 'model requires more system memory (9.2 GiB) than is available (3.1 GiB)';

const OPENAI_MESSAGES: Record<number, string> = {
  400: 'Bad request.',
  401: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  403: 'You are not allowed to sample from this model.',
  404: 'The requested resource does not exist.',
  408: 'Request timed out.',
  409: 'Conflict.',
  429: 'Rate limit reached for requests. Please try again later.',
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The engine is currently overloaded, please try again later.',
  504: 'Gateway timeout.',
};

const OLLAMA_MESSAGES: Record<number, string> = {
  429: 'too many requests',
  500: 'llama runner process has terminated: exit status 2',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

function openAiType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function openAiCode(status: number): string | null {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  return null;
}

/** OpenAI's error envelope: `{ error: { message, type, param, code } }`. */
export function openAiErrorBody(status: number, message?: string, code?: string | null): unknown {
  return {
    error: {
      message: message ?? OPENAI_MESSAGES[status] ?? `Simulated error ${status}.`,
      type: openAiType(status),
      param: null,
      code: code === undefined ? openAiCode(status) : code,
    },
  };
}

/** Ollama's error envelope: `{ error: string }`. */
export function ollamaErrorBody(status: number, message?: string): unknown {
  return { error: message ?? OLLAMA_MESSAGES[status] ?? `simulated error ${status}` };
}

/** The error body of `protocol` for `status`. */
export function errorBody(
  protocol: SimProtocol,
  status: number,
  message?: string,
  code?: string | null,
): unknown {
  return protocol === 'ollama' ? ollamaErrorBody(status, message) : openAiErrorBody(status, message, code);
}
