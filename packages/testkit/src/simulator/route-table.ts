import type { SimProtocol, SimRoute } from './types.ts';

/** Where a request path leads. */
export type RouteTarget =
  | { kind: 'root' }
  | { kind: 'admin'; action: string }
  | { kind: 'api'; protocol: SimProtocol; provider: string; route: SimRoute; method: 'GET' | 'POST' };

const OLLAMA_ROUTES: Record<string, { route: SimRoute; method: 'GET' | 'POST' }> = {
  '/api/tags': { route: 'tags', method: 'GET' },
  '/api/version': { route: 'version', method: 'GET' },
  '/api/chat': { route: 'chat', method: 'POST' },
  '/api/embed': { route: 'embed', method: 'POST' },
};

const OPENAI_ROUTES: Record<string, { route: SimRoute; method: 'GET' | 'POST' }> = {
  models: { route: 'models', method: 'GET' },
  'chat/completions': { route: 'chat', method: 'POST' },
  embeddings: { route: 'embed', method: 'POST' },
};

/** OpenAI-compatible provider names: lowercase letters, digits and dashes. */
export const PROVIDER_NAME = /^[a-z0-9-]+$/;

const OPENAI_PATH = /^\/(?:([a-z0-9-]+)\/)?v1\/(models|chat\/completions|embeddings)\/?$/;

/**
 * Ollama at the root (`/api/...`), OpenAI-compatible providers under `/{provider}/v1/...`
 * (`/v1/...` is provider `openai`), the admin API under `/__sim/`.
 */
export function resolveRoute(pathname: string): RouteTarget | undefined {
  if (pathname === '/' || pathname === '') return { kind: 'root' };
  if (pathname.startsWith('/__sim/')) return { kind: 'admin', action: pathname.slice('/__sim/'.length) };
  const ollama = OLLAMA_ROUTES[pathname];
  if (ollama !== undefined) return { kind: 'api', protocol: 'ollama', provider: 'ollama', ...ollama };
  const match = OPENAI_PATH.exec(pathname);
  const openai = match === null ? undefined : OPENAI_ROUTES[match[2] ?? ''];
  if (match === null || openai === undefined) return undefined;
  return { kind: 'api', protocol: 'openai', provider: match[1] ?? 'openai', ...openai };
}
