/**
 * Secret values this repository itself prints: the development pepper, test and benchmark credentials,
 * examples in the docs. Anyone can read them, so production refuses them for every secret variable (also
 * when they appear inside a longer value). A test scans every tracked file for literals next to a secret
 * name that would otherwise pass the strength checks, and fails until they are listed here: a new example
 * secret in the docs or a test cannot become a usable production secret unnoticed.
 */
export const PUBLISHED_SECRET_VALUES: readonly string[] = [
  // packages/stores: the pepper development falls back to when API_KEY_PEPPER is unset.
  'aegis-development-pepper-not-for-production',
  // Test harnesses and browser tests.
  'test-pepper-0123456789abcdef0123456789',
  'metrics-token-0123456789abcdef',
  'browser-test-pepper-0123456789abcdef012345',
  'browser-test-session-secret-0123456789abcdef',
  // Provider keys the tests and the demo hand to the simulator.
  'sk-sim-openai',
  'sk-sim-dashscope',
  'sk-simulated',
  'sk-bench-router-overhead',
  // The CI workflow's Neo4j service.
  'ci-neo4j-password',
  // Masking tests of packages/config and packages/observability.
  'sk-live-openai-789',
  'neo4j-pass-000',
  'pg-Secret-111',
  'redis-Secret-222',
  'ds-Secret-333',
  'neo4j-Secret-444',
  'pepper-Secret-555',
  'session-Secret-666',
  'metrics-Secret-777',
  'env-Secret-888',
  'env-Secret-999',
  'gsk_child0Secret0lll0000',
];

// Shorter published values (`sk-sim-openai`) only match whole; longer ones also inside a longer value.
const MIN_EMBEDDED_LENGTH = 16;

/** True when `value` is, or contains, a value this repository publishes. Case-insensitive. */
export function isPublishedSecret(value: string): boolean {
  const lower = value.toLowerCase();
  return PUBLISHED_SECRET_VALUES.some((published) => {
    const candidate = published.toLowerCase();
    return lower === candidate || (candidate.length >= MIN_EMBEDDED_LENGTH && lower.includes(candidate));
  });
}
