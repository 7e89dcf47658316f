import { type Command, InvalidArgumentError } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';

const MODES = ['hybrid', 'keyword', 'vector'];

function mode(raw: string): string {
  if (!MODES.includes(raw)) throw new InvalidArgumentError(`one of ${MODES.join(', ')}`);
  return raw;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface SearchOptions {
  limit: number;
  document?: string;
  mode: string;
  kb?: string;
  group: boolean;
  kind?: string;
  meta: string[];
}

/** `--meta field=value` pairs as the API's `meta.<field>=value` query parameters (repeats of one field OR-ed). */
function metadataQuery(pairs: readonly string[]): Record<`meta.${string}`, string> {
  const query: Record<`meta.${string}`, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new InvalidArgumentError(`a metadata filter is field=value, got "${pair}"`);
    const key = `meta.${pair.slice(0, separator).trim()}` as const;
    query[key] = query[key] ? `${query[key]},${pair.slice(separator + 1)}` : pair.slice(separator + 1);
  }
  return query;
}

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
        'search the active versions (hybrid keyword + vector by default): hits with score parts, text, pages, heading path and linked entities',
      )
      .argument('<query...>', 'what to look for')
      .option('-n, --limit <n>', 'number of hits (1-100)', limit, 5)
      .option('--document <document>', 'only this document (id, id prefix or file name)')
      .option('--mode <mode>', 'hybrid, keyword or vector', mode, 'hybrid')
      .option('--kb <names>', 'knowledge bases, comma-separated (default: default)')
      .option('--group', 'one hit (the best chunk) per document', false)
      .option('--kind <kinds>', 'only these file kinds, comma-separated (pdf, markdown, ...)')
      .option(
        '--meta <field=value>',
        'metadata filter; repeat for more fields, comma for alternatives',
        collect,
        [],
      )
      .action(async (words: string[], options: SearchOptions, command: Command) => {
        const out = outputFor(command);
        await withConnection(command, async ({ client }) => {
          const documentId = options.document
            ? (await client.resolveDocument(options.document)).documentId
            : undefined;
          const result = await client.search({
            q: words.join(' '),
            limit: options.limit,
            documentId,
            mode: options.mode as 'hybrid',
            kb: options.kb,
            group: options.group || undefined,
            kind: options.kind,
            ...metadataQuery(options.meta),
          });
          out.result(result, () => {
            const hits = result.hits ?? [];
            if (hits.length === 0)
              return console.log('no results (nothing ingested yet, or nothing similar)');
            for (const hit of hits) {
              const pages =
                hit.pageStart === hit.pageEnd ? `p.${hit.pageStart}` : `pp.${hit.pageStart}-${hit.pageEnd}`;
              const heading = hit.headingPath?.length ? ` > ${hit.headingPath.join(' > ')}` : '';
              const parts = [
                hit.scores?.keyword && `keyword #${hit.scores.keyword.rank}`,
                hit.scores?.vector &&
                  `vector #${hit.scores.vector.rank} (${hit.scores.vector.score?.toFixed(3)})`,
              ].filter(Boolean);
              console.log(
                `${(hit.score ?? 0).toFixed(4)}  ${hit.source} ${pages}${heading}  [${parts.join(', ')}]`,
              );
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
