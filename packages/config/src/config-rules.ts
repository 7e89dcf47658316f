import { splitList } from './parsers.ts';
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
  if (env.GRAPH_STORE?.trim() === 'neo4j') {
    secret('NEO4J_PASSWORD', 12, 'Neo4j password when GRAPH_STORE=neo4j', HINT_BASE64);
  }

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

function asInt(value: string): number | undefined {
  return /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}
