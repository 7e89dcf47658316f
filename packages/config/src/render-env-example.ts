import { describeEnv } from './describe-env.ts';

const HEADER = [
  '# Aegis Ingest configuration. Copy to .env and adjust.',
  '# Generated from the config schema: `node packages/config/src/bin/render-env-example.ts > .env.example`.',
  '# Empty values count as unset (the default applies). Secrets are left blank: never commit real ones.',
  '# In production (ENVIRONMENT set to production) the services refuse to start without strong',
  '# API_KEY_PEPPER, SESSION_SECRET and METRICS_TOKEN, an explicit ALLOWED_ORIGINS list, and',
  '# NEO4J_PASSWORD when the Neo4j graph store is selected.',
];

/**
 * Renders `.env.example` from `describeEnv()`: a header per group, each variable's description as a comment,
 * defaults filled in, secrets blank, and optional variables without a default shown commented out with an
 * example. The committed file is compared with this output in tests, so the two cannot drift.
 */
export function renderEnvExample(): string {
  const lines = [...HEADER];
  let group: string | undefined;
  for (const v of describeEnv()) {
    if (v.group !== group) {
      group = v.group;
      lines.push('', `# ---- ${group} ----`);
    }
    lines.push(`# ${v.secret ? '[secret] ' : ''}${v.description}`);
    if (v.default !== undefined) lines.push(`${v.key}=${v.default}`);
    else if (!v.secret && v.example !== undefined) lines.push(`# ${v.key}=${v.example}`);
    else lines.push(`${v.key}=`);
  }
  return `${lines.join('\n')}\n`;
}
