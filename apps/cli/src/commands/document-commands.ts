import type { StageName } from '@aegis/client';
import { AegisError, STAGES, VERSION_STATUSES } from '@aegis/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';
import { formatTable } from '../cli/output.ts';
import { printStatus } from './status-view.ts';

export const DOCUMENT_ARG = 'document id, unique id prefix (4+ characters) or file name';

/** `--version N` as a positive whole number. */
function parseVersion(raw: string): number {
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 1)
    throw new AegisError('VALIDATION_FAILED', `--version is a positive whole number, got "${raw}"`);
  return version;
}

function parseLimit(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw new InvalidArgumentError('a whole number from 1 to 100');
  return value;
}

const versionOption = () =>
  new Option('--version <n>', 'document version (default: the latest)').argParser(parseVersion);

export const statusCommand: CliCommand = {
  register(program) {
    program
      .command('status')
      .description(
        "a document's versions, stage timeline, warnings and cost; without one, the latest documents",
      )
      .argument('[document]', DOCUMENT_ARG)
      .addOption(
        new Option('--status <status>', 'list only documents whose latest version has this status').choices(
          VERSION_STATUSES,
        ),
      )
      .option('--name <text>', 'list only documents whose file name contains this text')
      .option('--limit <n>', 'how many documents to list (1-100)', parseLimit, 20)
      .action(
        async (
          ref: string | undefined,
          options: { status?: (typeof VERSION_STATUSES)[number]; name?: string; limit: number },
          command: Command,
        ) => {
          const out = outputFor(command);
          await withConnection(command, async ({ client }) => {
            if (ref !== undefined) {
              const { documentId } = await client.resolveDocument(ref);
              const status = await client.getDocument(documentId);
              return out.result(status, () => printStatus(status));
            }
            const page = await client.listDocuments({
              status: options.status,
              q: options.name,
              limit: options.limit,
            });
            out.result(page, () =>
              console.log(
                formatTable(
                  page.documents,
                  [
                    { header: 'ID', value: (row) => row.documentId.slice(0, 8) },
                    { header: 'NAME', value: (row) => row.displayName },
                    { header: 'VERSION', value: (row) => row.latestVersion, align: 'right' },
                    { header: 'STATUS', value: (row) => row.status },
                    { header: 'UPDATED', value: (row) => row.updatedAt.slice(0, 19).replace('T', ' ') },
                  ],
                  'No documents yet: aegis ingest <file|folder|glob>',
                ),
              ),
            );
          });
        },
      );
  },
};

export const retryCommand: CliCommand = {
  register(program) {
    program
      .command('retry')
      .description('re-run a stage and the stages after it; earlier outputs are reused, not re-billed')
      .argument('<document>', DOCUMENT_ARG)
      .addOption(
        new Option('--stage <stage>', 'stage to re-run (default: the first one that failed)').choices(STAGES),
      )
      .addOption(versionOption())
      .action(async (ref: string, options: { stage?: StageName; version?: number }, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { documentId, displayName } = await client.resolveDocument(ref);
          const accepted = await client.retryDocument(documentId, options);
          out.result(accepted, () =>
            console.log(
              `retrying ${accepted.stage} of ${displayName} (${documentId}) v${accepted.version} (run ${accepted.run}); later stages re-run, earlier outputs are reused`,
            ),
          );
        });
      });
  },
};

export const cancelCommand: CliCommand = {
  register(program) {
    program
      .command('cancel')
      .description('stop a queued or running version within one batch and remove what it wrote')
      .argument('<document>', DOCUMENT_ARG)
      .addOption(versionOption())
      .addHelpText(
        'after',
        '\nA version that already ended (completed, failed, cancelled) is refused with DOCUMENT_FINAL (exit 6).',
      )
      .action(async (ref: string, options: { version?: number }, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { documentId, displayName } = await client.resolveDocument(ref);
          const accepted = await client.cancelDocument(documentId, options);
          out.result({ ...accepted, status: 'cancelling' }, () =>
            console.log(
              `cancelling ${displayName} (${documentId}) v${accepted.version}; a running stage stops within one batch and its writes are removed`,
            ),
          );
        });
      });
  },
};

export const deleteCommand: CliCommand = {
  register(program) {
    program
      .command('delete')
      .description('delete a document from every store (vectors, graph, registry, blobs)')
      .argument('<document>', DOCUMENT_ARG)
      .action(async (ref: string, _options, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const { documentId, displayName } = await client.resolveDocument(ref);
          await client.deleteDocument(documentId);
          out.result({ documentId, deleted: true }, () =>
            console.log(`deleted ${displayName} (${documentId}) from every store`),
          );
        });
      });
  },
};
