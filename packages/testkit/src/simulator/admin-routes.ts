import type { IncomingMessage } from 'node:http';
import type { Responder } from './http-responder.ts';
import { isRecord } from './is-record.ts';
import { PROVIDER_NAME } from './route-table.ts';
import type { FaultSpec, SimStats } from './types.ts';

/** What the admin API drives. */
export interface AdminControls {
  addFault(spec: FaultSpec): number;
  clearFaults(provider?: string): void;
  stats(): SimStats;
  reset(): void;
  requests(): unknown[];
  billing(): unknown[];
}

const ROUTES = new Set(['chat', 'embed', 'tags', 'models', 'version', '*']);
const ACTIONS = [
  'status',
  'latencyMs',
  'hang',
  'drop',
  'dropMidStream',
  'malformed',
  'frameDelayMs',
  'missingUsage',
  'ollamaOom',
  'content',
];

/** Checks a fault sent over HTTP; returns an error message or undefined. */
export function validateFaultSpec(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a fault must be a JSON object';
  if (
    typeof value.provider !== 'string' ||
    !(value.provider === 'ollama' || PROVIDER_NAME.test(value.provider))
  ) {
    return "'provider' must be 'ollama' or a provider name matching /^[a-z0-9-]+$/";
  }
  if (value.route !== undefined && !ROUTES.has(String(value.route))) {
    return "'route' must be one of chat, embed, tags, models, version, *";
  }
  if (value.times !== undefined && !(typeof value.times === 'number' && value.times > 0)) {
    return "'times' must be a positive number";
  }
  const actions = ACTIONS.filter((key) => key in value);
  if (actions.length !== 1) return `a fault needs exactly one of ${ACTIONS.join(', ')}`;
  if ('status' in value && !(Number.isInteger(value.status) && Number(value.status) >= 100)) {
    return "'status' must be an HTTP status code";
  }
  if ('latencyMs' in value && !(typeof value.latencyMs === 'number' && value.latencyMs >= 0)) {
    return "'latencyMs' must be a non-negative number";
  }
  if ('frameDelayMs' in value && !(typeof value.frameDelayMs === 'number' && value.frameDelayMs >= 0)) {
    return "'frameDelayMs' must be a non-negative number";
  }
  if ('content' in value && typeof value.content !== 'string') return "'content' must be a string";
  return undefined;
}

/**
 * `POST /__sim/faults` (one fault or an array), `DELETE /__sim/faults[?provider=x]`, `GET /__sim/stats`,
 * `GET /__sim/requests`, `GET /__sim/billing`, `POST /__sim/reset`.
 */
export async function handleAdmin(
  action: string,
  req: IncomingMessage,
  url: URL,
  body: unknown,
  respond: Responder,
  controls: AdminControls,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (action === 'faults' && method === 'POST') {
    const specs = Array.isArray(body) ? body : [body];
    for (const spec of specs) {
      const problem = validateFaultSpec(spec);
      if (problem !== undefined) return respond.json(400, { error: problem });
    }
    const ids = specs.map((spec) => controls.addFault(spec as FaultSpec));
    return respond.json(201, { ids, pendingFaults: controls.stats().pendingFaults.length });
  }
  if (action === 'faults' && method === 'DELETE') {
    controls.clearFaults(url.searchParams.get('provider') ?? undefined);
    return respond.json(200, { ok: true });
  }
  if (action === 'faults' && method === 'GET') return respond.json(200, controls.stats().pendingFaults);
  if (action === 'stats' && method === 'GET') return respond.json(200, controls.stats());
  if (action === 'requests' && method === 'GET') return respond.json(200, controls.requests());
  if (action === 'billing' && method === 'GET') return respond.json(200, controls.billing());
  if (action === 'reset' && method === 'POST') {
    controls.reset();
    return respond.json(200, { ok: true });
  }
  return respond.json(404, { error: `no admin route ${method} /__sim/${action}` });
}
