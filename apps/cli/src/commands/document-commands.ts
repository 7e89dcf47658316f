import { AegisError, isStage, STAGES, type Stage, VERSION_STATUSES } from '@aegis/core';
import type { WorkerRuntime } from '@aegis/worker';
import { type Command, Option } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { formatTable } from '../cli/output.ts';
import { printStatus } from './status-view.ts';

/** Local mode: the stores and a producer-only runtime, loaded only when a command runs (help stays instant). */
async function local<T>(
  work: (runtime: WorkerRuntime, stores: typeof import('@aegis/stores')) => Promise<T>,
): Promise<T> {
  const [{ withRuntime }, stores] = await Promise.all([
    import('../local-runtime.ts'),
    import('@aegis/stores'),
  ]);
  return withRuntime((runtime) => work(runtime, stores));
}

const DOCUMENT_ARG = 'document id, unique id prefix (4+ characters) or file name';

/** `--version N` as a positive whole number. */
function parseVersion(raw: string): number {
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 1)
    throw new AegisError('VALIDATION_FAILED', `--version is a positive whole number, got "${raw}"`);
  return version;
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
      .option('--limit <n>', 'how many documents to list (1-100)', '20')
      .action(async (ref: string | undefined, options, command: Command) => {
        const out = outputFor(command);
        await local(async (runtime, { getDocumentStatus, listDocuments, resolveDocument }) => {
          if (ref !== undefined) {
            const { documentId } = await resolveDocument(runtime.pool, ref);
            const status = await getDocumentStatus(runtime.pool, documentId);
            if (!status) throw new AegisError('DOCUMENT_NOT_FOUND', `document ${documentId} does not exist`);
            return out.result(status, () => printStatus(status));
          }
          const page = await listDocuments(runtime.pool, {
            status: options.status,
            q: options.name,
            limit: Number(options.limit),
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
      });
  },
};

export const retryCommand: CliCommand = {
  register(program) {
    program
      .command('retry')
      .description('re-run a stage and the stages after it; earlier outputs are reused, not re-billed')
      .argument('<document>', DOCUMENT_ARG)
      .addOption(
        new Option('--stage <stage>', 'stage to re-run (default: the first one not completed)').choices(
          STAGES,
        ),
      )
      .addOption(versionOption())
      .action(async (ref: string, options: { stage?: string; version?: number }, command: Command) => {
        const out = outputFor(command);
        await local(async (runtime, { resolveDocument }) => {
          const { documentId } = await resolveDocument(runtime.pool, ref);
          const version = options.version ?? (await latestVersion(runtime, documentId));
          let stage: Stage | undefined =
            options.stage !== undefined && isStage(options.stage) ? options.stage : undefined;
          if (!stage) {
            const runs = await runtime.pipeline.repository.stageRuns(documentId, version);
            stage = runs.find((run) => run.status !== 'completed')?.stage;
            if (!stage)
              throw new AegisError(
                'VALIDATION_FAILED',
                `every stage of version ${version} completed; name one with --stage`,
              );
          }
          const { run } = await runtime.producer.retry(documentId, version, stage);
          out.result({ documentId, version, stage, run }, () =>
            console.log(
              `retrying ${stage} of ${documentId} v${version} (run ${run}); later stages re-run, earlier outputs are reused`,
            ),
          );
        });
      });
  },
};

async function latestVersion(runtime: WorkerRuntime, documentId: string): Promise<number> {
  const { getDocumentStatus } = await import('@aegis/stores');
  const status = await getDocumentStatus(runtime.pool, documentId);
  if (!status || status.latestVersion < 1)
    throw new AegisError('DOCUMENT_NOT_FOUND', `document ${documentId} has no version`);
  return status.latestVersion;
}

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
        await local(async (runtime, { resolveDocument }) => {
          const { documentId, displayName } = await resolveDocument(runtime.pool, ref);
          const version = options.version ?? (await latestVersion(runtime, documentId));
          await runtime.producer.cancel(documentId, version);
          out.result({ documentId, version, status: 'cancelling' }, () =>
            console.log(
              `cancelling ${displayName} (${documentId}) v${version}; a running stage stops within one batch and its writes are removed`,
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
        await local(async (runtime, { resolveDocument }) => {
          const { documentId, displayName } = await resolveDocument(runtime.pool, ref);
          await runtime.producer.delete(documentId);
          out.result({ documentId, deleted: true }, () =>
            console.log(`deleted ${displayName} (${documentId}) from every store`),
          );
        });
      });
  },
};
