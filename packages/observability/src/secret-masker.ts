import { MASK, maskSecretsInString } from './mask-string.ts';

/** Exact values shorter than this are not masked: masking them would garble ordinary text. */
export const MIN_SECRET_LENGTH = 6;

/** Default bound of a stored or returned error text, in characters. */
export const DEFAULT_EXCERPT_CHARS = 2_000;

const ELLIPSIS = '…';

/** Options for `createSecretMasker`. */
export interface SecretMaskerOptions {
  /** Exact configured secret values (provider keys, passwords, pepper...); `configuredSecretValues(config)`. */
  secretValues?: readonly string[] | undefined;
  /** Bound of `excerpt`, in characters. Default 2000. */
  maxChars?: number | undefined;
}

/**
 * The one masking every stored, returned or written error text goes through (the logger uses the same rules):
 * credential patterns (URL passwords, bearer tokens, `key=value`, provider and Aegis key formats) and the
 * exact configured secret values, also URL-encoded or JSON-escaped, and also when an upstream cut left only
 * their beginning at the end of the text.
 */
export interface SecretMasker {
  /** `text` with every secret it holds replaced by `***`. */
  mask(text: string): string;
  /** Masked, then cut to `maxChars` (default the masker's bound) with `…`: for text that is stored or returned. */
  excerpt(text: string, maxChars?: number): string;
  /**
   * Only the exact configured values (no patterns), for whole payloads such as API responses, where a pattern
   * would also hit document text that merely looks like `password: x`.
   */
  maskValues(text: string): string;
  /** Masks every string inside a JSON-like value (a deep copy). */
  maskDeep<T>(value: T): T;
  /** The exact values masked (all their spellings). */
  readonly values: readonly string[];
}

/** How a secret may be spelled inside text: as is, percent-encoded (URLs, forms), JSON-escaped. */
export function secretSpellings(value: string): string[] {
  const spellings = new Set<string>([value]);
  try {
    spellings.add(encodeURIComponent(value));
  } catch {
    // lone surrogates cannot be encoded; the plain spelling is still masked
  }
  spellings.add(JSON.stringify(value).slice(1, -1));
  return [...spellings].filter((spelling) => spelling.length >= MIN_SECRET_LENGTH);
}

/**
 * Masks a secret's beginning left at the end of `text` (before a trailing `…` or `...`), as a cut excerpt
 * of an upstream error leaves it. At least `MIN_SECRET_LENGTH` characters of it must be there.
 */
function maskTrailingPrefix(text: string, spellings: readonly string[]): string {
  const tail = /(…|\.\.\.)$/.exec(text)?.[0] ?? '';
  const body = text.slice(0, text.length - tail.length);
  for (const spelling of spellings) {
    for (let length = spelling.length - 1; length >= MIN_SECRET_LENGTH; length--) {
      if (body.endsWith(spelling.slice(0, length)))
        return `${body.slice(0, body.length - length)}${MASK}${tail}`;
    }
  }
  return text;
}

export function createSecretMasker(options: SecretMaskerOptions = {}): SecretMasker {
  // Longest first, so a secret containing another is masked whole.
  const values = [...new Set((options.secretValues ?? []).flatMap((value) => secretSpellings(value)))].sort(
    (a, b) => b.length - a.length,
  );
  const maxChars = options.maxChars ?? DEFAULT_EXCERPT_CHARS;

  const mask = (text: string): string => maskTrailingPrefix(maskSecretsInString(text, values), values);
  const maskDeep = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return mask(value);
    if (value === null || typeof value !== 'object' || depth > 16) return value;
    if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item, depth + 1)]));
  };
  return {
    values,
    mask,
    maskValues(text) {
      let out = text;
      for (const value of values) if (out.includes(value)) out = out.split(value).join(MASK);
      return out;
    },
    excerpt(text, limit = maxChars) {
      const masked = mask(text);
      return masked.length <= limit ? masked : `${masked.slice(0, Math.max(0, limit - 1))}${ELLIPSIS}`;
    },
    maskDeep: <T>(value: T) => maskDeep(value, 0) as T,
  };
}
