import { z } from 'zod';

export type JsonReply<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Parses a model's JSON reply leniently in form (a ```json fence or prose around one object is tolerated)
 * and strictly in content (the schema decides).
 */
export function extractJson<T>(text: string, schema: z.ZodType<T>): JsonReply<T> {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const candidate = fenced ?? text;
  const start = candidate.indexOf('{');
  const end = candidate.lastIndexOf('}');
  if (start < 0 || end <= start) return { ok: false, problem: 'it contains no JSON object' };
  let data: unknown;
  try {
    data = JSON.parse(candidate.slice(start, end + 1));
  } catch (error) {
    return {
      ok: false,
      problem: `it is not parseable JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success)
    return { ok: false, problem: `it does not match the schema: ${z.prettifyError(parsed.error)}` };
  return { ok: true, value: parsed.data };
}
