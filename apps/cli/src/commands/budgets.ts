import { hostname, userInfo } from 'node:os';
import type { BudgetCaps, CapActor } from '@aegis/llm-router';
import type { Command } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { formatTable } from '../cli/output.ts';

/** The operator at this shell, as written to `llm_budget_limits.updated_by` and the audit log. */
export function cliActor(source: CapActor['source'] = 'cli'): CapActor {
  return { source, name: userInfo().username, userAgent: `aegis-${source}@${hostname()}` };
}

/** Opens the caps (llm-router budget-caps.ts) for one action and closes the pool after it. */
async function withCaps<T>(work: (caps: BudgetCaps) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { createBudgetCaps }, { createLogger }, { createPostgresPool }] = await Promise.all([
    import('@aegis/config'),
    import('@aegis/llm-router'),
    import('@aegis/observability'),
    import('@aegis/stores'),
  ]);
  const config = loadConfig(process.env);
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-cli' });
  try {
    return await work(
      createBudgetCaps({
        pool,
        providers: Object.keys(config.llm.providers),
        logger: createLogger({ level: 'warn', name: 'aegis-cli' }),
      }),
    );
  } finally {
    await pool.end();
  }
}

/**
 * `aegis budgets`: the interactive way a budget cap changes (the other is `aegis migrate` with a set
 * BUDGET_<P>_MONTHLY_USD). Each change is one audited transaction; listing only reads.
 */
export const budgetsCommand: CliCommand = {
  register(program) {
    const budgets = program
      .command('budgets')
      .description(
        'monthly budget caps of the paid providers: every process enforces the caps stored in Postgres, and only an operator changes them (audited)',
      );
    budgets
      .command('list')
      .description("each provider's cap, this month's spend and reservations, and who changed the cap last")
      .action(async (_options, command: Command) => {
        const out = outputFor(command);
        const { formatCap } = await import('@aegis/llm-router');
        await withCaps(async (caps) => {
          const rows = await caps.list();
          out.result(rows, () =>
            console.log(
              formatTable(rows, [
                { header: 'PROVIDER', value: (row) => row.provider },
                { header: 'CAP', value: (row) => formatCap(row.limitUsd, row.limitSet), align: 'right' },
                { header: 'SPENT', value: (row) => formatCap(row.spentUsd, true), align: 'right' },
                { header: 'RESERVED', value: (row) => formatCap(row.reservedUsd, true), align: 'right' },
                { header: 'MONTH', value: (row) => row.month },
                { header: 'CHANGED', value: (row) => row.updatedAt?.toISOString().slice(0, 16) ?? '-' },
                { header: 'BY', value: (row) => row.updatedBy ?? '-' },
              ]),
            ),
          );
        });
      });
    budgets
      .command('set')
      .description(
        "change a provider's monthly cap; every process enforces it from its next reservation (no restart)",
      )
      .argument('<provider>', 'a paid provider: openai, dashscope, groq or openrouter')
      .argument('<usd>', 'USD per calendar month (at most 6 decimals, e.g. 1.60), or "unlimited"')
      .option('--reason <text>', 'why, for the audit log (e.g. "pilot month")')
      .action(async (provider: string, usd: string, options: { reason?: string }, command: Command) => {
        const out = outputFor(command);
        const { formatCap } = await import('@aegis/llm-router');
        await withCaps(async (caps) => {
          const result = await caps.set({
            provider,
            limitUsd: usd.trim().toLowerCase() === 'unlimited' ? null : usd,
            actor: cliActor(),
            reason: options.reason,
          });
          out.result(result, () =>
            console.log(
              result.changed
                ? `${provider}: cap changed from ${formatCap(result.from, result.wasSet)} to ${formatCap(result.to, true)} (audited); every process enforces it from its next reservation`
                : `${provider}: cap is already ${formatCap(result.to, true)}; nothing changed`,
            ),
          );
        });
      });
  },
};
