import { z } from 'zod';

// Parsers for raw env strings. Messages never echo the value: it may be a credential or a URL with a password.

/** A base-10 integer within `[min, max]`; rejects `1e3`, `0x10` and decimals that `Number()` would accept. */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { message: 'must be a whole number (digits only)' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, {
      message:
        max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`,
    });
}

/** A decimal ratio in `(0, 1]`, e.g. `0.8`. */
export function ratio() {
  return z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, { message: 'must be a decimal between 0 and 1, e.g. 0.8' })
    .transform(Number)
    .refine((n) => n > 0, { message: 'must be greater than 0' });
}

/** A non-negative decimal, e.g. `1`, `0.5`; rejects exponents and signs. */
export function nonNegativeDecimal(max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a non-negative decimal, e.g. 1 or 0.5' })
    .transform(Number)
    .refine((n) => n <= max, { message: `must be at most ${max}` });
}

/** One of a fixed set of strings (case-sensitive, trimmed). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .trim()
    .refine((v): v is T[number] => (values as readonly string[]).includes(v), {
      message: `must be one of: ${values.join(', ')}`,
    })
    .transform((v) => v as T[number]);
}

/** A non-empty trimmed string, optionally restricted by a pattern. */
export function text(pattern?: RegExp, hint = 'has an invalid format') {
  const base = z.string().trim().min(1, { message: 'must not be blank' });
  return pattern === undefined ? base : base.regex(pattern, { message: hint });
}

/** A raw string kept verbatim (secrets: surrounding spaces may be part of the value, and are not ours to trim). */
export function secretText() {
  return z.string().min(1, { message: 'must not be blank' });
}

/** An absolute URL whose scheme (without the colon) is one of `schemes`. */
export function urlWithScheme(schemes: readonly string[]) {
  return z
    .string()
    .trim()
    .refine(
      (v) => {
        const url = URL.parse(v);
        return url !== null && schemes.includes(url.protocol.slice(0, -1)) && url.hostname !== '';
      },
      { message: `must be an absolute URL with scheme ${schemes.map((s) => `${s}://`).join(' or ')}` },
    );
}

/**
 * A USD amount as a decimal string with at most 6 decimals (micro-dollars), kept as a string so no float
 * rounding ever reaches budget arithmetic; `unlimited` turns the cap off and parses to `null`.
 */
export function usdBudget() {
  return z
    .string()
    .trim()
    .refine((v) => v === 'unlimited' || /^\d+(\.\d{1,6})?$/.test(v), {
      message:
        'must be a non-negative decimal USD amount with at most 6 decimals (e.g. 20 or 12.5), or "unlimited"',
    })
    .transform((v) => (v === 'unlimited' ? null : v));
}

/** True when `value` is exactly an http(s) origin: scheme, host and optional port, no path, query or slash. */
export function isHttpOrigin(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
}

/** Splits a comma-separated list, trimming entries and dropping empty ones. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Comma-separated CORS origins; `*` (any origin) is accepted here and refused in production separately. */
export function originList() {
  return z
    .string()
    .transform(splitList)
    .superRefine((origins, ctx) => {
      const bad = origins.filter((o) => o !== '*' && !isHttpOrigin(o));
      if (bad.length > 0) {
        // Origins are public, so naming the bad entries helps and leaks nothing.
        ctx.addIssue({
          code: 'custom',
          message: `each entry must be an http(s) origin like https://app.example.com (no path or trailing slash); invalid: ${bad.join(', ')}`,
        });
      }
    });
}
