import type { ApiRuntime } from './app-context.ts';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Why it failed, or a short fact when it passed (e.g. vector dimensions). */
  detail?: string | undefined;
}

export interface Readiness {
  ok: boolean;
  checks: ReadinessCheck[];
}

async function check(
  name: string,
  timeoutMs: number,
  run: () => Promise<string | undefined>,
): Promise<ReadinessCheck> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const detail = await Promise.race([run(), timeout]);
    return { name, ok: true, ...(detail === undefined ? {} : { detail }) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything the API needs to do useful work, checked in parallel, each with its own time limit so one hung
 * dependency cannot hang the probe: Redis, Postgres, the vector and graph stores, and at least one enabled
 * model provider.
 */
export async function checkReadiness(runtime: ApiRuntime, timeoutMs = 2_000): Promise<Readiness> {
  const checks = await Promise.all([
    check('redis', timeoutMs, async () => {
      await runtime.redis.ping();
      return undefined;
    }),
    check('postgres', timeoutMs, async () => {
      await runtime.pool.query('SELECT 1');
      return undefined;
    }),
    check('vectors', timeoutMs, async () => {
      const collections = await runtime.pipeline.vectors.collections();
      return collections.length === 0
        ? 'empty'
        : collections.map((entry) => `${entry.name}: ${entry.points} points`).join(', ');
    }),
    check('graph', timeoutMs, async () => {
      const counts = await runtime.pipeline.graph.counts();
      return JSON.stringify(counts);
    }),
    check('providers', timeoutMs, async () => {
      const providers = runtime.pipeline.router.providers();
      const enabled = providers.filter((provider) => provider.enabled).map((provider) => provider.name);
      if (enabled.length === 0) {
        const reasons = providers.map((provider) => `${provider.name}: ${provider.reason ?? 'disabled'}`);
        throw new Error(`no model provider is enabled (${reasons.join('; ')})`);
      }
      return `enabled: ${enabled.join(', ')}`;
    }),
  ]);
  return { ok: checks.every((entry) => entry.ok), checks };
}
