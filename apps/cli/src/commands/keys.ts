import { AegisError } from '@aegis/core';
import { type Command, InvalidArgumentError } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';
import { formatTable } from '../cli/output.ts';

type Role = 'ingest' | 'read' | 'admin';
const ROLES: readonly Role[] = ['ingest', 'read', 'admin'];

function parseRoles(raw: string): Role[] {
  const roles = raw
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknown = roles.filter((role) => !ROLES.includes(role as Role));
  if (roles.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`roles are ${ROLES.join(', ')} (comma-separated)`);
  return roles as Role[];
}

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

export const keysCommand: CliCommand = {
  register(program) {
    const keys = program
      .command('keys')
      .description('API keys for the HTTP API and the web UI (the plaintext of a new key is shown once)')
      .addHelpText(
        'after',
        '\nLocally these act as the shell user (audited as cli:<user>), so the first admin key needs no key; with --url they need an admin key.',
      );
    keys
      .command('create')
      .description('create a key with roles: ingest, read, admin (admin implies the others)')
      .argument('<name>', 'who or what uses the key, e.g. "ci-uploader"')
      .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`, parseRoles)
      .action(async (name: string, options: { roles: Role[] }, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const created = await client.createKey({ name, roles: options.roles });
          out.result(created, () => {
            console.log(`created key ${created.id} "${created.name}" with roles ${created.roles.join(', ')}`);
            console.log(
              `\n  ${created.key}\n\nStore it now: it is shown only this once (only its hash is kept).`,
            );
          });
        });
      });
    keys
      .command('list')
      .description('list keys with their roles and last use (never their secrets)')
      .action(async (_options, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { keys: records } = await client.listKeys();
          out.result(records, () =>
            console.log(
              formatTable(records, [
                { header: 'ID', value: (record) => record.id },
                { header: 'NAME', value: (record) => record.name },
                { header: 'ROLES', value: (record) => record.roles.join(',') },
                { header: 'CREATED', value: (record) => when(record.createdAt) },
                { header: 'LAST USED', value: (record) => when(record.lastUsedAt) },
                { header: 'REVOKED', value: (record) => (record.revokedAt ? when(record.revokedAt) : '') },
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
        await withConnection(command, async ({ client }) => {
          try {
            await client.revokeKey(id);
          } catch (error) {
            if (error instanceof AegisError && error.code === 'NOT_FOUND')
              throw new AegisError('NOT_FOUND', `no active key ${id}`);
            throw error;
          }
          out.result({ id, revoked: true }, () =>
            console.log(`revoked key ${id}; requests with it are refused from now on`),
          );
        });
      });
  },
};
