import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { type AppConfig, loadConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import {
  API_KEY_ROLES,
  type ApiKeyRole,
  createApiKeyStore,
  createAuditLog,
  createPostgresPool,
  isApiKeyRole,
  resolveApiKeyPepper,
} from '@aegis/stores';

const USAGE =
  'usage: aegis keys create <name> --roles ingest,read,admin | aegis keys list | aegis keys revoke <keyId>';

/** `aegis keys`: API keys for the HTTP API. The plaintext of a new key is printed once and never stored. */
export async function runKeys(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { roles: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (action !== 'create' && action !== 'list' && action !== 'revoke')
    throw new AegisError('VALIDATION_FAILED', USAGE);

  const config: AppConfig = loadConfig(process.env);
  const { pepper, insecure } = resolveApiKeyPepper({
    pepper: config.api.apiKeyPepper,
    isProduction: config.isProduction,
  });
  if (insecure)
    console.error(
      'warning: API_KEY_PEPPER is not set; keys are hashed with the public development pepper (never do this in production)',
    );
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-cli' });
  const keys = createApiKeyStore({ pool, pepper });
  const audit = createAuditLog({ pool });
  // Key management from a shell is an admin action too: audited with the operator and host it came from.
  const actor = {
    keyId: null,
    keyName: `cli:${userInfo().username}`,
    ip: null,
    userAgent: `aegis-cli@${hostname()}`,
  };
  try {
    if (action === 'create') {
      const name = positionals[0];
      const roles = (values.roles ?? '')
        .split(',')
        .map((role) => role.trim())
        .filter(Boolean);
      if (!name || roles.length === 0) throw new AegisError('VALIDATION_FAILED', USAGE);
      const unknown = roles.filter((role) => !isApiKeyRole(role));
      if (unknown.length > 0)
        throw new AegisError(
          'VALIDATION_FAILED',
          `unknown role(s) ${unknown.join(', ')}; roles are ${API_KEY_ROLES.join(', ')}`,
        );
      const { key, record } = await keys.create(name, roles as ApiKeyRole[]);
      await audit.record({
        ...actor,
        action: 'key.create',
        target: record.id,
        status: 201,
        details: { name, roles },
      });
      if (values.json) return void console.log(JSON.stringify({ key, ...record }, null, 2));
      console.log(`created key ${record.id} "${record.name}" with roles ${record.roles.join(', ')}`);
      console.log(`\n  ${key}\n\nStore it now: it is shown only this once (only its hash is kept).`);
      return;
    }
    if (action === 'list') {
      const records = await keys.list();
      if (values.json) return void console.log(JSON.stringify(records, null, 2));
      console.table(
        records.map((record) => ({
          id: record.id,
          name: record.name,
          roles: record.roles.join(','),
          created: record.createdAt.toISOString(),
          lastUsed: record.lastUsedAt?.toISOString() ?? '-',
          revoked: record.revokedAt?.toISOString() ?? '',
        })),
      );
      return;
    }
    const id = positionals[0];
    if (!id) throw new AegisError('VALIDATION_FAILED', USAGE);
    const revoked = await keys.revoke(id);
    await audit.record({ ...actor, action: 'key.revoke', target: id, status: revoked ? 200 : 404 });
    if (!revoked) throw new AegisError('NOT_FOUND', `no active key ${id}`);
    console.log(`revoked key ${id}; requests with it are refused from now on`);
  } finally {
    await pool.end();
  }
}
