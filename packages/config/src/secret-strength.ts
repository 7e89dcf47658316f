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

/**
 * Why a secret is weak, as short phrases (empty when strong). Never includes the value itself, so the
 * result is safe to put in error messages and logs.
 *
 * @param minLength minimum length in characters for this secret.
 */
export function secretWeaknesses(value: string, minLength: number): string[] {
  const reasons: string[] = [];
  if (value.length < minLength) reasons.push(`shorter than ${minLength} characters`);
  const lower = value.toLowerCase();
  if (KNOWN_WEAK_SECRETS.includes(lower) || (value.length >= 8 && ASCENDING_DIGITS.startsWith(value))) {
    reasons.push('a well-known default value');
  }
  const distinct = new Set(value).size;
  if (value.length > 0 && distinct === 1) {
    reasons.push('one repeated character');
  } else if (distinct < MIN_DISTINCT_CHARS) {
    reasons.push(`fewer than ${MIN_DISTINCT_CHARS} distinct characters`);
  }
  return reasons;
}
