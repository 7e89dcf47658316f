import { type Command, InvalidArgumentError } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';

function limit(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw new InvalidArgumentError('a whole number from 1 to 100');
  return value;
}

export const searchCommand: CliCommand = {
  register(program) {
    program
      .command('search')
      .description(
        'search the active versions: hits with their text, pages, heading path and linked entities',
      )
      .argument('<query...>', 'what to look for')
      .option('-n, --limit <n>', 'number of hits (1-100)', limit, 5)
      .option('--document <document>', 'only this document (id, id prefix or file name)')
      .action(async (words: string[], options: { limit: number; document?: string }, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const documentId = options.document
            ? (await client.resolveDocument(options.document)).documentId
            : undefined;
          const result = await client.search({ q: words.join(' '), limit: options.limit, documentId });
          out.result(result, () => {
            const hits = result.hits ?? [];
            if (hits.length === 0)
              return console.log('no results (nothing ingested yet, or nothing similar)');
            for (const hit of hits) {
              const pages =
                hit.pageStart === hit.pageEnd ? `p.${hit.pageStart}` : `pp.${hit.pageStart}-${hit.pageEnd}`;
              const heading = hit.headingPath?.length ? ` > ${hit.headingPath.join(' > ')}` : '';
              console.log(`${(hit.score ?? 0).toFixed(3)}  ${hit.source} ${pages}${heading}`);
              console.log(`       ${(hit.text ?? '').replace(/\s+/g, ' ').slice(0, 240)}`);
              const entities = (hit.entities ?? []) as Array<{ name?: unknown; type?: unknown }>;
              if (entities.length)
                console.log(
                  `       entities: ${entities.map((entity) => `${String(entity.name)} (${String(entity.type)})`).join(', ')}`,
                );
            }
          });
        });
      });
  },
};
