import { isPublishedSecret } from './published-secrets.ts';

/**
 * Values that ship in tutorials, compose files and our own docs. Compared case-insensitively.
 * `.env.example` leaves secrets blank, but older copies and docs used these placeholders.
 */
export const KNOWN_WEAK_SECRETS: readonly string[] = [
  'changeme',
  'change-me',
  'change_me',
  'changeit',
  'password',
  'passw0rd',
  'secret',
  'neo4j',
  'admin',
  'root',
  'test',
  'example',
  'default',
  'letmein',
  'qwerty',
  'postgres',
  'replace-me',
  'replace_me',
  'your-secret-here',
  'generate-me',
  'todo',
  'xxx',
];

// A weak secret needs no more distinct characters than this to be rejected even when long enough.
const MIN_DISTINCT_CHARS = 8;
const ASCENDING_DIGITS = '1234567890'.repeat(20);
// Estimated bits per required character. A short random sample under-counts its alphabet: `openssl rand -hex`
// at the minimum length scores 2.6 to 4 bits a character by this estimate (the lowest of 400,000 samples was 2.61),
// base64 about 4.5; a small alphabet or a skewed one scores less.
const MIN_BITS_PER_REQUIRED_CHAR = 2.4;
// Share of characters continuing a run (abcd, 1234, aaaa, qwerty rows are mostly +-1 or 0 steps).
const MAX_RUN_SHARE = 0.4;

/**
 * An estimate of the entropy of `value`, in bits: its length times the Shannon entropy of its own character
 * frequencies, with characters that continue an arithmetic run (`abcd`, `4321`, `aaaa`) counted as free.
 * Machine-generated secrets score near their true entropy; words, sequences and repetitions score low.
 */
export function estimatedEntropyBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * (chars.length - runCharacters(chars));
}

/** Characters that continue a run: the step from the previous character equals the step before it. */
function runCharacters(chars: readonly string[]): number {
  let inRun = 0;
  for (let index = 2; index < chars.length; index++) {
    const [a, b, c] = [chars[index - 2], chars[index - 1], chars[index]].map((ch) => ch?.codePointAt(0) ?? 0);
    if (b !== undefined && a !== undefined && c !== undefined && c - b === b - a && Math.abs(c - b) <= 1)
      inRun++;
  }
  return inRun;
}

/** True when `value` repeats one shorter string, the last copy possibly cut (`abcabcab`, `Summer1!Summer1!`). */
function isRepetition(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    let repeats = true;
    for (let index = period; index < value.length && repeats; index++)
      repeats = value[index] === value[index - period];
    if (repeats) return true;
  }
  return false;
}

/**
 * Why a secret is weak, as short phrases (empty when strong). Never includes the value itself, so the
 * result is safe to put in error messages and logs.
 *
 * @param minLength minimum length in characters for this secret; the entropy estimate must reach 2.4 bits per
 *   required character (about 77 bits for a 32-character minimum).
 */
export function secretWeaknesses(value: string, minLength: number): string[] {
  const reasons: string[] = [];
  if (value.length < minLength) reasons.push(`shorter than ${minLength} characters`);
  const lower = value.toLowerCase();
  if (KNOWN_WEAK_SECRETS.includes(lower) || (value.length >= 8 && ASCENDING_DIGITS.startsWith(value))) {
    reasons.push('a well-known default value');
  }
  if (isPublishedSecret(value)) reasons.push('published in the source or docs of this repository');
  const distinct = new Set(value).size;
  if (value.length > 0 && distinct === 1) {
    reasons.push('one repeated character');
  } else if (distinct < MIN_DISTINCT_CHARS) {
    reasons.push(`fewer than ${MIN_DISTINCT_CHARS} distinct characters`);
  } else if (isRepetition(value)) {
    reasons.push('a repeated pattern');
  }
  if (value.length > 0 && runCharacters([...value]) / value.length > MAX_RUN_SHARE)
    reasons.push('mostly sequences such as abcd or 1234');
  const bits = estimatedEntropyBits(value);
  const needed = Math.ceil(minLength * MIN_BITS_PER_REQUIRED_CHAR);
  if (value.length >= minLength && bits < needed)
    reasons.push(`too predictable (about ${Math.floor(bits)} bits of entropy; at least ${needed} needed)`);
  return reasons;
}
