import type { AppConfig } from '@aegis/config';
import type { EntryReadiness, Router, TaskReadiness, TaskType } from '@aegis/llm-router';
import type { Finding } from './finding.ts';

/** The pipeline cannot finish a document without these; the others degrade to warnings. */
export const REQUIRED_TASKS: ReadonlySet<TaskType> = new Set(['embedding', 'extraction']);

export const TASK_NAMES: Record<TaskType, string> = {
  embedding: 'Embedding',
  extraction: 'Extraction (graph)',
  vision: 'Vision (image descriptions)',
  generation: 'Generation',
};

const WHAT_FAILS: Record<TaskType, string> = {
  embedding: 'documents cannot be embedded or searched',
  extraction: 'the graph stage cannot run',
  vision: 'images keep no description (their documents complete with warnings)',
  generation: 'generation calls fail',
};

const envPrefix = (provider: string) => provider.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** What to do about one entry, for this configuration. */
export function entryFix(config: AppConfig, entry: EntryReadiness): string | undefined {
  const ollamaUrl = config.llm.ollama.url;
  switch (entry.code) {
    case 'PROVIDER_DISABLED':
      return entry.local ? undefined : `set ${envPrefix(entry.provider)}_API_KEY`;
    case 'PROVIDER_UNHEALTHY':
      if (entry.local) {
        if (/has not pulled/.test(entry.reason ?? ''))
          return `${/127\.0\.0\.1:11434|localhost:11434/.test(ollamaUrl) ? '' : `OLLAMA_HOST=${ollamaUrl} `}ollama pull ${entry.model}`;
        return `start Ollama (\`ollama serve\`) or point OLLAMA_URL (now ${ollamaUrl}) at a running one`;
      }
      if (/refuses the API key/.test(entry.reason ?? '')) return `check ${envPrefix(entry.provider)}_API_KEY`;
      return `check ${envPrefix(entry.provider)}_BASE_URL and the network to ${entry.provider}`;
    case 'CIRCUIT_OPEN':
      return `wait until ${entry.retryAt?.slice(11, 19) ?? 'its cooldown ends'} UTC (its breaker opened after repeated failures)`;
    case 'BUDGET_EXHAUSTED':
      return `raise its cap: \`aegis budgets set ${entry.provider} <usd>\` (or wait for next month)`;
    case 'BUDGET_UNAVAILABLE':
      return 'bring Postgres back (budgets live there)';
    default:
      return undefined;
  }
}

function describeEntry(entry: EntryReadiness): string {
  return `${entry.provider} ${entry.model}${entry.ok ? ' ready' : `: ${entry.reason ?? entry.code ?? 'not ready'}`}`;
}

/**
 * One finding per task: which provider serves it now, or why none can, with one fix line that works for this
 * configuration (alternatives joined by "or"). A knowledge base bound to an embedding model counts only that
 * model: another one cannot take over without mixing vector spaces.
 */
export async function checkTasks(
  config: AppConfig,
  router: Pick<Router, 'taskReadiness'>,
  bindings: ReadonlyArray<{ knowledgeBase: string; provider: string; model: string }>,
  tasks: readonly TaskType[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const task of tasks) {
    const required = REQUIRED_TASKS.has(task);
    const pins =
      task === 'embedding' && bindings.length > 0
        ? bindings.map((binding) => ({ label: `knowledge base ${binding.knowledgeBase}`, pin: binding }))
        : [{ label: undefined, pin: undefined }];
    for (const { label, pin } of pins) {
      const readiness = await router.taskReadiness(task, {
        pin: pin ? { provider: pin.provider, model: pin.model } : undefined,
      });
      findings.push(await taskFinding(config, router, task, required, readiness, label));
    }
  }
  return findings;
}

async function taskFinding(
  config: AppConfig,
  router: Pick<Router, 'taskReadiness'>,
  task: TaskType,
  required: boolean,
  readiness: TaskReadiness,
  label: string | undefined,
): Promise<Finding> {
  const id = label ? `task:${task}:${label.replace('knowledge base ', '')}` : `task:${task}`;
  const name = label ? `${TASK_NAMES[task]} (${label})` : TASK_NAMES[task];
  const pin = readiness.pinned;
  const counted = pin
    ? readiness.entries.filter((entry) => entry.provider === pin.provider && entry.model === pin.model)
    : readiness.entries;
  const serving = counted.find((entry) => entry.ok);
  if (serving) {
    const fallbacks = counted.filter((entry) => entry !== serving && entry.ok).length;
    return {
      id,
      name,
      required,
      status: 'ok',
      detail: `${serving.provider} ${serving.model}${pin ? ' (bound model)' : ''}${fallbacks > 0 ? `, ${fallbacks} more ready behind it` : ''}`,
    };
  }
  const status = required ? 'fail' : 'warn';
  if (pin && counted.length === 0)
    return {
      id,
      name,
      required,
      status,
      detail: `bound to ${pin.provider} ${pin.model}, which the ${config.llm.routingMode} embedding chain does not contain`,
      fix: `add ${pin.provider} ${pin.model} to the embedding chain (LLM_ROUTING_FILE), or switch LLM_ROUTING_MODE so it is used`,
    };
  if (counted.length === 0)
    return {
      id,
      name,
      required,
      status,
      detail: `the ${config.llm.routingMode} chain has no provider for it`,
      fix: `add one to the ${task} chain (LLM_ROUTING_FILE), or use LLM_ROUTING_MODE=local-first`,
    };
  const fixes = counted
    .map((entry) => entryFix(config, entry))
    .filter((fix): fix is string => fix !== undefined);
  // Would the other routing mode serve it? Only say so when it really would.
  if (!pin && config.llm.routingMode !== 'local-first') {
    const wider = await router.taskReadiness(task, { mode: 'local-first' });
    if (wider.ok) fixes.push('set LLM_ROUTING_MODE=local-first (another provider is ready)');
  }
  const detail = `${pin ? `bound to ${pin.provider} ${pin.model}; ` : ''}no provider can serve it now: ${counted.map(describeEntry).join('; ')}. Until then ${WHAT_FAILS[task]}`;
  return { id, name, required, status, detail, fix: [...new Set(fixes)].join('; or ') || undefined };
}
