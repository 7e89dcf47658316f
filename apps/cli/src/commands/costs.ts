import { formatCount, formatUsd, sumUsd, trimUsd } from '@aegis/client';
import { AegisError } from '@aegis/core';
import type { CostGroup, MonthlyCostRow } from '@aegis/llm-router';
import { type Command, Option } from 'commander';
import { type CliCommand, globalOptions, outputFor } from '../cli/cli-command.ts';
import { type Column, formatTable } from '../cli/output.ts';

const GROUPS: readonly CostGroup[] = ['provider', 'model', 'task', 'document', 'stage', 'user'];
const TOTAL_FIELDS = [
  'requests',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'images',
  'costUsd',
] as const;

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
function machineRow(
  row: MonthlyCostRow,
  groups: readonly CostGroup[],
): Record<string, string | number | null> {
  const record: Record<string, string | number | null> = {};
  for (const group of groups) record[group] = row[group] ?? null;
  for (const field of TOTAL_FIELDS) record[field] = field === 'costUsd' ? trimUsd(row.costUsd) : row[field];
  return record;
}

function totalOf(rows: readonly MonthlyCostRow[]): Record<string, string | number> {
  return {
    requests: rows.reduce((sum, row) => sum + row.requests, 0),
    inputTokens: rows.reduce((sum, row) => sum + row.inputTokens, 0),
    cachedInputTokens: rows.reduce((sum, row) => sum + row.cachedInputTokens, 0),
    outputTokens: rows.reduce((sum, row) => sum + row.outputTokens, 0),
    images: rows.reduce((sum, row) => sum + row.images, 0),
    costUsd: sumUsd(rows.map((row) => row.costUsd)),
  };
}

interface CostsOptions {
  month?: string;
  by: CostGroup[];
  format: 'table' | 'csv' | 'json';
  export?: boolean;
}

async function costs(options: CostsOptions, command: Command): Promise<void> {
  const format = globalOptions(command).json ? 'json' : options.format;
  const out = outputFor(command);
  const [{ loadConfig }, { csvRecord, exportLedger, monthlyCosts }, { createPostgresPool }] =
    await Promise.all([import('@aegis/config'), import('@aegis/llm-router'), import('@aegis/stores')]);
  const config = loadConfig(process.env);
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-cli' });
  try {
    if (options.export) {
      // The raw ledger, one row per attempt, streamed with a cursor (no size limit).
      const from = options.month ? new Date(`${options.month}-01T00:00:00Z`) : undefined;
      const to = from ? new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) : undefined;
      for await (const chunk of exportLedger(pool, { format: format === 'json' ? 'json' : 'csv', from, to }))
        process.stdout.write(chunk);
      return;
    }
    const groups = options.by;
    const rows = await monthlyCosts(pool, { month: options.month, groupBy: groups });
    const month = options.month ?? new Date().toISOString().slice(0, 7);
    const total = totalOf(rows);
    if (format === 'json') {
      return out.result(
        { month, by: groups, rows: rows.map((row) => machineRow(row, groups)), total },
        () => {},
      );
    }
    if (format === 'csv') {
      process.stdout.write(csvRecord([...groups, ...TOTAL_FIELDS]));
      for (const row of rows) process.stdout.write(csvRecord(Object.values(machineRow(row, groups))));
      return;
    }
    const columns: Column<MonthlyCostRow>[] = [
      ...groups.map((group) => ({
        header: group.toUpperCase(),
        value: (row: MonthlyCostRow) => row[group] ?? '-',
      })),
      { header: 'REQUESTS', value: (row) => formatCount(row.requests), align: 'right' },
      { header: 'INPUT TOKENS', value: (row) => formatCount(row.inputTokens), align: 'right' },
      { header: 'OUTPUT TOKENS', value: (row) => formatCount(row.outputTokens), align: 'right' },
      { header: 'IMAGES', value: (row) => formatCount(row.images), align: 'right' },
      { header: 'COST', value: (row) => formatUsd(row.costUsd), align: 'right' },
    ];
    const totalRow: MonthlyCostRow = {
      ...(groups[0] ? { [groups[0]]: 'TOTAL' } : {}),
      requests: Number(total.requests),
      inputTokens: Number(total.inputTokens),
      cachedInputTokens: Number(total.cachedInputTokens),
      outputTokens: Number(total.outputTokens),
      images: Number(total.images),
      costUsd: String(total.costUsd),
    };
    console.log(`LLM spend in ${month} (UTC)`);
    console.log(
      formatTable(rows.length > 0 ? [...rows, totalRow] : [], columns, 'No model calls this month.'),
    );
  } finally {
    await pool.end();
  }
}

export const costsCommand: CliCommand = {
  register(program) {
    program
      .command('costs')
      .description("a month's LLM spend from the ledger, grouped, with totals")
      .option('--month <YYYY-MM>', 'UTC calendar month (default: this month)', parseMonth)
      .option(`--by <groups>`, `comma-separated groups: ${GROUPS.join(', ')}`, parseGroups, [
        'provider',
        'model',
      ])
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
