import { SECRET_ENV_KEYS } from './describe-env.ts';
import { splitList } from './parsers.ts';
import { isPublishedSecret } from './published-secrets.ts';
import { secretWeaknesses } from './secret-strength.ts';

/** A problem attached to the variable that must change. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** Raw env after empty strings were dropped. */
export type RawEnv = Readonly<Record<string, string | undefined>>;

const HINT_BASE64 = 'generate one with `openssl rand -base64 48`';
const HINT_HEX = 'generate one with `openssl rand -hex 24`';

/**
 * Rules that involve more than one variable, checked in every environment. They read the raw strings so
 * they still run (and report) when unrelated fields failed to parse.
 */
export function crossFieldProblems(env: RawEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (env.VECTOR_STORE?.trim() === 'qdrant' && env.QDRANT_URL === undefined) {
    problems.push({
      key: 'QDRANT_URL',
      message:
        'required when VECTOR_STORE=qdrant; set it (e.g. http://127.0.0.1:6333) or use VECTOR_STORE=postgres',
    });
  }
  if (env.GRAPH_STORE?.trim() === 'neo4j' && env.NEO4J_URI === undefined) {
    problems.push({
      key: 'NEO4J_URI',
      message:
        'required when GRAPH_STORE=neo4j; set it (e.g. neo4j://127.0.0.1:7687) or use GRAPH_STORE=postgres',
    });
  }
  const base = asInt(env.BREAKER_BASE_COOLDOWN_MS ?? '1000');
  const max = asInt(env.BREAKER_MAX_COOLDOWN_MS ?? '60000');
  if (base !== undefined && max !== undefined && base > max) {
    problems.push({
      key: 'BREAKER_MAX_COOLDOWN_MS',
      message: 'must be at least BREAKER_BASE_COOLDOWN_MS; raise it or lower the base cooldown',
    });
  }
  const headers = asInt(env.API_HEADERS_TIMEOUT_MS ?? '10000');
  const request = asInt(env.API_REQUEST_TIMEOUT_MS ?? '300000');
  if (headers !== undefined && request !== undefined && headers > request) {
    // Node refuses to start an HTTP server whose headers timeout exceeds its request timeout.
    problems.push({
      key: 'API_HEADERS_TIMEOUT_MS',
      message: 'must not exceed API_REQUEST_TIMEOUT_MS; lower it or raise the request timeout',
    });
  }
  const sandboxMemory = asInt(env.SANDBOX_MEMORY_LIMIT_MB ?? '768');
  const sandboxHeap = asInt(env.SANDBOX_HEAP_LIMIT_MB ?? '512');
  const recycle = asInt(env.SANDBOX_RECYCLE_RSS_MB ?? '384');
  const processes = asInt(env.SANDBOX_PROCESSES ?? '2');
  const workerMemory = asInt(env.WORKER_MEMORY_LIMIT_MB ?? '2048');
  if (sandboxMemory !== undefined && sandboxHeap !== undefined && sandboxHeap >= sandboxMemory) {
    problems.push({
      key: 'SANDBOX_HEAP_LIMIT_MB',
      message:
        'must be below SANDBOX_MEMORY_LIMIT_MB (the process needs memory beyond its V8 heap); lower it',
    });
  }
  if (sandboxMemory !== undefined && recycle !== undefined && recycle > sandboxMemory) {
    problems.push({
      key: 'SANDBOX_RECYCLE_RSS_MB',
      message: 'must be at most SANDBOX_MEMORY_LIMIT_MB; lower it',
    });
  }
  if (
    sandboxMemory !== undefined &&
    processes !== undefined &&
    workerMemory !== undefined &&
    processes * sandboxMemory >= workerMemory
  ) {
    problems.push({
      key: 'WORKER_MEMORY_LIMIT_MB',
      message:
        'must exceed SANDBOX_PROCESSES x SANDBOX_MEMORY_LIMIT_MB (it covers the worker and its sandbox processes); raise it or lower those',
    });
  }
  return problems;
}

/** Production-only rules: required, strong secrets and an explicit CORS list. Messages never contain values. */
export function productionProblems(env: RawEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const secret = (key: string, minLength: number, purpose: string, hint: string): void => {
    const value = env[key];
    if (value === undefined) {
      problems.push({ key, message: `required in production (${purpose}); ${hint}` });
      return;
    }
    const reasons = secretWeaknesses(value, minLength);
    if (reasons.length > 0) {
      problems.push({
        key,
        message: `too weak (${reasons.join('; ')}); use a random value of at least ${minLength} characters: ${hint}`,
      });
    }
  };

  secret('API_KEY_PEPPER', 32, 'HMAC pepper for stored API-key hashes', HINT_BASE64);
  secret('SESSION_SECRET', 32, 'signs admin UI sessions', HINT_BASE64);
  secret('METRICS_TOKEN', 24, 'bearer token for /metrics', HINT_HEX);
  const strengthChecked = new Set(['API_KEY_PEPPER', 'SESSION_SECRET', 'METRICS_TOKEN']);
  if (env.GRAPH_STORE?.trim() === 'neo4j') {
    secret('NEO4J_PASSWORD', 12, 'Neo4j password when GRAPH_STORE=neo4j', HINT_BASE64);
    strengthChecked.add('NEO4J_PASSWORD');
  }
  // Secrets others issue (provider keys, Qdrant): their format is theirs, but a value this repository
  // prints is never a real one.
  for (const key of SECRET_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && !strengthChecked.has(key) && isPublishedSecret(value))
      problems.push({ key, message: 'published in the source or docs of this repository; use your own' });
  }
  problems.push(...reusedSecretProblems(env));

  const origins = env.ALLOWED_ORIGINS;
  if (origins === undefined) {
    problems.push({
      key: 'ALLOWED_ORIGINS',
      message: 'required in production; list the UI origins, comma-separated, e.g. https://admin.example.com',
    });
  } else {
    const entries = splitList(origins);
    if (entries.includes('*')) {
      problems.push({
        key: 'ALLOWED_ORIGINS',
        message: 'must not contain * in production; list each allowed origin explicitly',
      });
    } else if (entries.length === 0) {
      // Only separators: present but empty. Malformed entries are reported by the schema check.
      problems.push({ key: 'ALLOWED_ORIGINS', message: 'required in production; no origin listed' });
    }
  }
  return problems;
}

/** The password inside a connection URL (`postgres://user:password@host`), decoded; `undefined` without one. */
function urlPassword(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.parse(raw.trim());
  if (url === null || url.password === '') return undefined;
  try {
    return decodeURIComponent(url.password);
  } catch {
    return url.password;
  }
}

/**
 * One value used for several secrets: a leak of the weakest place (a metrics scraper's config, a database
 * dump) then opens all of them. Reported on every key of the group, naming the others, never the value.
 */
function reusedSecretProblems(env: RawEnv): ConfigProblem[] {
  const sources = new Map<string, string>();
  for (const key of SECRET_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined) sources.set(key, value);
  }
  for (const key of ['DATABASE_URL', 'REDIS_URL']) {
    const password = urlPassword(env[key]);
    if (password !== undefined) sources.set(`${key} password`, password);
  }
  const byValue = new Map<string, string[]>();
  for (const [key, value] of sources) byValue.set(value, [...(byValue.get(value) ?? []), key]);
  const problems: ConfigProblem[] = [];
  for (const keys of byValue.values()) {
    if (keys.length < 2) continue;
    for (const key of keys) {
      const others = keys.filter((other) => other !== key).join(', ');
      problems.push({
        key: key.replace(/ password$/, ''),
        message: `the same value as ${others}; every secret needs its own random value`,
      });
    }
  }
  return problems;
}

function asInt(value: string): number | undefined {
  return /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}
