import type { ProviderAdapter } from './providers/provider.ts';

export type LocalHealth = { ok: true } | { ok: false; reason: string };

export interface LocalHealthOptions {
  /** How long a healthy answer is trusted, in ms. Default 10000. */
  healthyTtlMs?: number;
  /** How long an unhealthy answer is trusted, in ms; shorter, so a restarted Ollama is used again soon. Default 2000. */
  unhealthyTtlMs?: number;
  /** Timeout of the health request itself, in ms. Default 1500. */
  timeoutMs?: number;
  now?: () => number;
}

interface CacheEntry {
  until: number;
  models: Set<string> | undefined;
  reason: string | undefined;
}

/** The first `code` (e.g. ECONNREFUSED) along an error's cause chain. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `bge-m3` and `bge-m3:latest` name the same Ollama model. */
function normaliseModel(model: string): string {
  return model.includes(':') ? model : `${model}:latest`;
}

/**
 * Cached health of local providers (Ollama): reachable, and the model pulled. One request per TTL per
 * provider, shared by concurrent callers, so a dead Ollama costs a call at most one timeout per TTL.
 */
export function createLocalHealth(
  options: LocalHealthOptions = {},
): (adapter: ProviderAdapter, model: string) => Promise<LocalHealth> {
  const healthyTtlMs = options.healthyTtlMs ?? 10_000;
  const unhealthyTtlMs = options.unhealthyTtlMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 1_500;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<CacheEntry>>();

  async function refresh(adapter: ProviderAdapter): Promise<CacheEntry> {
    try {
      const models = await adapter.listModels({ signal: AbortSignal.timeout(timeoutMs), timeoutMs });
      return { until: now() + healthyTtlMs, models: new Set(models.map(normaliseModel)), reason: undefined };
    } catch (error) {
      // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is a code down its cause chain.
      const detail = networkCode(error) ?? (error instanceof Error ? error.message : String(error));
      return {
        until: now() + unhealthyTtlMs,
        models: undefined,
        reason: `${adapter.name} is unreachable (${detail})`,
      };
    }
  }

  return async (adapter, model) => {
    let entry = cache.get(adapter.name);
    if (!entry || entry.until <= now()) {
      let pending = inflight.get(adapter.name);
      if (!pending) {
        pending = refresh(adapter).finally(() => inflight.delete(adapter.name));
        inflight.set(adapter.name, pending);
      }
      entry = await pending;
      cache.set(adapter.name, entry);
    }
    if (!entry.models) return { ok: false, reason: entry.reason ?? `${adapter.name} is unhealthy` };
    if (!entry.models.has(normaliseModel(model))) {
      return { ok: false, reason: `${adapter.name} has not pulled ${model} (run \`ollama pull ${model}\`)` };
    }
    return { ok: true };
  };
}
