import { parseArgs } from 'node:util';
import { loadConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import { type CostGroup, csvRecord, exportLedger, monthlyCosts } from '@aegis/llm-router';
import { createPostgresPool } from '@aegis/stores';

const GROUPS: readonly CostGroup[] = ['provider', 'model', 'task', 'document', 'stage', 'user'];

export async function runCosts(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      month: { type: 'string' },
      by: { type: 'string', default: 'provider,model' },
      format: { type: 'string', default: 'table' },
      export: { type: 'boolean', default: false },
    },
  });
  const groupBy = (values.by ?? '').split(',').filter(Boolean);
  const unknown = groupBy.filter((group) => !GROUPS.includes(group as CostGroup));
  if (unknown.length > 0)
    throw new AegisError('VALIDATION_FAILED', `--by accepts ${GROUPS.join(', ')}; got ${unknown.join(', ')}`);
  if (!['table', 'csv', 'json'].includes(values.format ?? ''))
    throw new AegisError('VALIDATION_FAILED', '--format is table, csv or json');
  if (values.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month))
    throw new AegisError('VALIDATION_FAILED', '--month is YYYY-MM');

  const config = loadConfig(process.env);
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-cli' });
  try {
    if (values.export) {
      // The raw ledger, one row per attempt, streamed with a cursor (no size limit).
      const format = values.format === 'json' ? 'json' : 'csv';
      const from = values.month ? new Date(`${values.month}-01T00:00:00Z`) : undefined;
      const to = from ? new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) : undefined;
      for await (const chunk of exportLedger(pool, { format, from, to })) process.stdout.write(chunk);
      return;
    }
    const rows = await monthlyCosts(pool, { month: values.month, groupBy: groupBy as CostGroup[] });
    if (values.format === 'json') {
      console.log(JSON.stringify(rows, null, 2));
    } else if (values.format === 'csv') {
      const columns = [
        ...groupBy,
        'requests',
        'inputTokens',
        'cachedInputTokens',
        'outputTokens',
        'images',
        'costUsd',
      ];
      process.stdout.write(csvRecord(columns));
      for (const row of rows) {
        const record = new Map<string, unknown>(Object.entries(row));
        const cells = columns.map((column) => {
          const value = record.get(column);
          return typeof value === 'string' || typeof value === 'number' ? value : null;
        });
        process.stdout.write(csvRecord(cells));
      }
    } else {
      console.table(rows);
    }
  } finally {
    await pool.end();
  }
}
