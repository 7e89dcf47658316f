/** What a masked credential inside a string is replaced with. */
export const MASK = '***';

// Each rule keeps the part that tells a reader what was there (scheme, user, parameter name) and masks the rest.
const STRING_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // scheme://user:password@host — greedy up to the last '@' before a path, so an unescaped '@' in a
  // password cannot leak its tail.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]+)@/gi, `$1$2:${MASK}@`],
  // Authorization header values written into text.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${MASK}`],
  // Credentials in query strings: ?api_key=...&token=...
  [
    /([?&;](?:password|passwd|pwd|pass|token|access_token|refresh_token|id_token|api[_-]?key|key|secret|client_secret|sig|signature)=)[^&\s#"']*/gi,
    `$1${MASK}`,
  ],
  // key=value / "key": "value" pairs in messages, e.g. from a driver's connection string dump.
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key)("?\s*[=:]\s*"?)(?!\*\*\*)[^\s"',;&}]+/gi,
    `$1$2${MASK}`,
  ],
  // Provider key formats (OpenAI and OpenRouter `sk-...`, Groq `gsk_...`), wherever they appear.
  [/\b(sk-|gsk_)[A-Za-z0-9_-]{16,}/g, `$1${MASK}`],
  // Aegis API keys (`aegis_<public id>_<secret>`): the id stays, it names the key in logs and the audit log.
  [/\b(aegis_[a-z0-9]{8}_)[0-9a-f]{16,}/g, `$1${MASK}`],
];

/**
 * Masks credentials inside free text: URL passwords (`postgres://u:***@h`, `redis://:***@h`), bearer and
 * basic tokens, credential query parameters, `password=...` pairs, provider API keys, and any of the exact
 * `secretValues` (shorter than 6 characters are ignored: masking them would garble ordinary text).
 */
export function maskSecretsInString(text: string, secretValues: readonly string[] = []): string {
  let out = text;
  for (const value of secretValues) {
    if (value.length >= 6) out = out.split(value).join(MASK);
  }
  for (const [pattern, replacement] of STRING_RULES) out = out.replace(pattern, replacement);
  return out;
}
