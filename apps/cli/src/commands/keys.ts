import { hostname, userInfo } from 'node:os';
import { AegisError } from '@aegis/core';
import type { ApiKeyRole, ApiKeyStore, AuditLog } from '@aegis/stores';
import { type Command, InvalidArgumentError } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { formatTable } from '../cli/output.ts';

/** The roles a key can have (kept beside the stores' list by the keys test). */
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['ingest', 'read', 'admin'];

function parseRoles(raw: string): ApiKeyRole[] {
  const roles = raw
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknown = roles.filter((role) => !API_KEY_ROLES.includes(role as ApiKeyRole));
  if (roles.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`roles are ${API_KEY_ROLES.join(', ')} (comma-separated)`);
  return roles as ApiKeyRole[];
}

/** Opens the key store and audit log for one action, and closes the pool after it. */
async function withKeys<T>(work: (keys: ApiKeyStore, audit: AuditLog) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { createApiKeyStore, createAuditLog, createPostgresPool, resolveApiKeyPepper }] =
    await Promise.all([import('@aegis/config'), import('@aegis/stores')]);
  const config = loadConfig(process.env);
  const { pepper, insecure } = resolveApiKeyPepper({
    pepper: config.api.apiKeyPepper,
    isProduction: config.isProduction,
  });
  if (insecure)
    console.error(
      'warning: API_KEY_PEPPER is not set; keys are hashed with the public development pepper (never do this in production)',
    );
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-cli' });
  try {
    return await work(createApiKeyStore({ pool, pepper }), createAuditLog({ pool }));
  } finally {
    await pool.end();
  }
}

/** Key management from a shell is an admin action too: audited with the operator and host it came from. */
const actor = () => ({
  keyId: null,
  keyName: `cli:${userInfo().username}`,
  ip: null,
  userAgent: `aegis-cli@${hostname()}`,
});

export const keysCommand: CliCommand = {
  register(program) {
    const keys = program
      .command('keys')
      .description('API keys for the HTTP API and the web UI (the plaintext of a new key is shown once)');
    keys
      .command('create')
      .description('create a key with roles: ingest, read, admin (admin implies the others)')
      .argument('<name>', 'who or what uses the key, e.g. "ci-uploader"')
      .requiredOption('--roles <roles>', `comma-separated: ${API_KEY_ROLES.join(', ')}`, parseRoles)
      .action(async (name: string, options: { roles: ApiKeyRole[] }, command: Command) => {
        const out = outputFor(command);
        await withKeys(async (store, audit) => {
          const { key, record } = await store.create(name, options.roles);
          await audit.record({
            ...actor(),
            action: 'key.create',
            target: record.id,
            status: 201,
            details: { name, roles: options.roles },
          });
          out.result({ key, ...record }, () => {
            console.log(`created key ${record.id} "${record.name}" with roles ${record.roles.join(', ')}`);
            console.log(`\n  ${key}\n\nStore it now: it is shown only this once (only its hash is kept).`);
          });
        });
      });
    keys
      .command('list')
      .description('list keys with their roles and last use (never their secrets)')
      .action(async (_options, command: Command) => {
        const out = outputFor(command);
        await withKeys(async (store) => {
          const records = await store.list();
          out.result(records, () =>
            console.log(
              formatTable(records, [
                { header: 'ID', value: (record) => record.id },
                { header: 'NAME', value: (record) => record.name },
                { header: 'ROLES', value: (record) => record.roles.join(',') },
                { header: 'CREATED', value: (record) => record.createdAt.toISOString().slice(0, 16) },
                {
                  header: 'LAST USED',
                  value: (record) => record.lastUsedAt?.toISOString().slice(0, 16) ?? '-',
                },
                { header: 'REVOKED', value: (record) => record.revokedAt?.toISOString().slice(0, 16) ?? '' },
              ]),
            ),
          );
        });
      });
    keys
      .command('revoke')
      .description('revoke a key: requests and web sessions with it are refused from then on')
      .argument('<keyId>', 'the key id (aegis keys list)')
      .action(async (id: string, _options, command: Command) => {
        const out = outputFor(command);
        await withKeys(async (store, audit) => {
          const revoked = await store.revoke(id);
          await audit.record({ ...actor(), action: 'key.revoke', target: id, status: revoked ? 200 : 404 });
          if (!revoked) throw new AegisError('NOT_FOUND', `no active key ${id}`);
          out.result({ id, revoked: true }, () =>
            console.log(`revoked key ${id}; requests with it are refused from now on`),
          );
        });
      });
  },
};
