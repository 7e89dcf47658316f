import { type CostReport, formatCount, formatUsd, trimUsd } from '@aegis/client';
import { AegisError } from '@aegis/core';
import { type Command, Option } from 'commander';
import { type CliCommand, globalOptions } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';
import { type Column, formatTable } from '../cli/output.ts';

const GROUPS = ['provider', 'model', 'task', 'document', 'stage', 'user', 'key'] as const;
type CostGroup = (typeof GROUPS)[number];
const TOTAL_FIELDS = [
  'requests',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'images',
  'costUsd',
] as const;
type Row = CostReport['rows'][number];

function parseGroups(raw: string): CostGroup[] {
  const groups = raw
    .split(',')
    .map((group) => group.trim())
    .filter(Boolean);
  const unknown = groups.filter((group) => !GROUPS.includes(group as CostGroup));
  if (unknown.length > 0)
    throw new AegisError('VALIDATION_FAILED', `--by accepts ${GROUPS.join(', ')}; got ${unknown.join(', ')}`);
  return groups as CostGroup[];
}

function parseMonth(raw: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(raw)) throw new AegisError('VALIDATION_FAILED', '--month is YYYY-MM');
  return raw;
}

/** The same field names (camelCase) in JSON and CSV; money exact with trailing zeros dropped. */
function machineRow(row: Row, groups: readonly CostGroup[]): Record<string, string | number | null> {
  const record: Record<string, string | number | null> = {};
  for (const group of groups) record[group] = (row[group] as string | null | undefined) ?? null;
  for (const field of TOTAL_FIELDS) record[field] = field === 'costUsd' ? trimUsd(row.costUsd) : row[field];
  return record;
}

/** RFC 4180: quote fields with a comma, quote, CR or LF; double the quotes. */
function csvLine(cells: ReadonlyArray<string | number | null>): string {
  return `${cells
    .map((cell) => {
      const text = cell === null ? '' : String(cell);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\r\n`;
}

interface CostsOptions {
  month?: string;
  by: CostGroup[];
  format: 'table' | 'csv' | 'json';
  export?: boolean;
}

async function costs(options: CostsOptions, command: Command): Promise<void> {
  const format = globalOptions(command).json ? 'json' : options.format;
  await withConnection(command, async ({ client }) => {
    if (options.export) {
      const body = await client.exportLedger({
        month: options.month,
        format: format === 'json' ? 'json' : 'csv',
      });
      for await (const chunk of body) process.stdout.write(chunk);
      return;
    }
    const groups = options.by;
    const report = await client.costs({ month: options.month, by: groups });
    if (format === 'json') {
      const json = {
        month: report.month,
        by: groups,
        rows: report.rows.map((row) => machineRow(row, groups)),
        total: machineRow(report.total as Row, []),
      };
      return void process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    }
    if (format === 'csv') {
      process.stdout.write(csvLine([...groups, ...TOTAL_FIELDS]));
      for (const row of report.rows) process.stdout.write(csvLine(Object.values(machineRow(row, groups))));
      return;
    }
    const columns: Column<Row>[] = [
      ...groups.map((group) => ({
        header: group.toUpperCase(),
        value: (row: Row) => (row[group] as string | null | undefined) ?? '-',
      })),
      { header: 'REQUESTS', value: (row) => formatCount(row.requests), align: 'right' },
      { header: 'INPUT TOKENS', value: (row) => formatCount(row.inputTokens), align: 'right' },
      { header: 'OUTPUT TOKENS', value: (row) => formatCount(row.outputTokens), align: 'right' },
      { header: 'IMAGES', value: (row) => formatCount(row.images), align: 'right' },
      { header: 'COST', value: (row) => formatUsd(row.costUsd), align: 'right' },
    ];
    const totalRow = { ...report.total, ...(groups[0] ? { [groups[0]]: 'TOTAL' } : {}) } as Row;
    console.log(`LLM spend in ${report.month} (UTC)`);
    console.log(
      formatTable(
        report.rows.length > 0 ? [...report.rows, totalRow] : [],
        columns,
        'No model calls this month.',
      ),
    );
  });
}

export const costsCommand: CliCommand = {
  register(program) {
    program
      .command('costs')
      .description("a month's LLM spend from the ledger, grouped, with totals")
      .option('--month <YYYY-MM>', 'UTC calendar month (default: this month)', parseMonth)
      .option(
        '--by <groups>',
        `comma-separated groups: ${GROUPS.join(', ')} (key: who pays; pipeline calls are paid by the key that ingested the document)`,
        parseGroups,
        ['provider', 'model'],
      )
      .addOption(
        new Option('--format <format>', 'table for people; csv and json use the same camelCase fields')
          .choices(['table', 'csv', 'json'])
          .default('table'),
      )
      .option('--export', 'stream the raw ledger (one row per attempt) as csv or json instead of totals')
      .addHelpText(
        'after',
        '\nMoney: the table rounds for reading ($12.35, $0.0123); csv and json carry the exact amount.',
      )
      .action((options: CostsOptions, command: Command) => costs(options, command));
  },
};
