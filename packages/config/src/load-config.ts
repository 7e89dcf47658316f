import { AegisError } from '@aegis/core';
import type { z } from 'zod';
import type { AppConfig } from './app-config.ts';
import { toAppConfig } from './app-config.ts';
import type { ConfigProblem, RawEnv } from './config-rules.ts';
import { crossFieldProblems, productionProblems } from './config-rules.ts';
import type { FlatConfig } from './config-schema.ts';
import { configSchema } from './config-schema.ts';
import { emptyToUndefined } from './env-var.ts';

/** Drops empty and whitespace-only values, so `KEY=` behaves exactly like an unset key. */
export function normalizeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (emptyToUndefined(value) !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

function schemaProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((issue) => ({
    key: String(issue.path[0] ?? '(root)'),
    // Our parsers set value-free messages; zod's built-ins (e.g. "expected string") carry no values either.
    message: issue.message,
  }));
}

/**
 * Collects every problem, merged to one line per variable (in schema order, then any others), e.g.
 * `API_PORT: must be between 0 and 65535`. Never contains a variable's value.
 */
export function configProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  return evaluate(env).problems;
}

function evaluate(env: Readonly<Record<string, string | undefined>>): {
  problems: string[];
  flat?: FlatConfig;
} {
  const raw: RawEnv = normalizeEnv(env);
  const result = configSchema.safeParse(raw);
  const all: ConfigProblem[] = [
    ...(result.success ? [] : schemaProblems(result.error.issues)),
    ...crossFieldProblems(raw),
    ...(raw.ENVIRONMENT?.trim() === 'production' ? productionProblems(raw) : []),
  ];
  const byKey = new Map<string, string[]>();
  for (const { key, message } of all) {
    const messages = byKey.get(key) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byKey.set(key, messages);
  }
  const order = Object.keys(configSchema.shape);
  const rank = (key: string): number => {
    const index = order.indexOf(key);
    return index === -1 ? order.length : index;
  };
  const problems = [...byKey.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, messages]) => `${key}: ${messages.join('; ')}`);
  return result.success ? { problems, flat: result.data } : { problems };
}

/**
 * Parses and validates the environment into `AppConfig`. Empty strings count as unset. Unknown keys are
 * ignored (the process env holds much more than ours).
 *
 * @param env usually `process.env`; only apps call this, packages receive `AppConfig` slices.
 * @throws AegisError `CONFIG_INVALID` listing every problem, one per line, also as `details.problems`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const { problems, flat } = evaluate(env);
  if (problems.length > 0 || flat === undefined) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new AegisError(
      'CONFIG_INVALID',
      `Invalid configuration (${count}); fix these environment variables (see .env.example):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { details: { problems } },
    );
  }
  return toAppConfig(flat);
}
