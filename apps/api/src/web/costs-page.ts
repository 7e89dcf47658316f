import { type BudgetCap, type CostGroup, createBudgetCaps, monthlyCosts, utcMonth } from '@aegis/llm-router';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { html, queryString, type SafeHtml } from './html.ts';
import { money, pageOptions, sendPage } from './layout.ts';
import { documentPagePath, WEB_PREFIX } from './paths.ts';

const GROUPS: ReadonlyArray<{ group: CostGroup; title: string }> = [
  { group: 'provider', title: 'By provider' },
  { group: 'model', title: 'By model' },
  { group: 'stage', title: 'By stage' },
  { group: 'document', title: 'By document' },
  { group: 'key', title: 'By key (who pays)' },
];

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function shiftMonth(month: string, by: number): string {
  const [year, monthIndex] = month.split('-').map(Number) as [number, number];
  return utcMonth(new Date(Date.UTC(year, monthIndex - 1 + by, 1)));
}

/** One budget bar: spent (and reserved) against the cap; `<meter>` turns amber at 80 % and red at the cap. */
function budgetRow(cap: BudgetCap): SafeHtml {
  const spent = Number(cap.spentUsd);
  const limit = cap.limitUsd === null ? null : Number(cap.limitUsd);
  return html`<tr data-provider="${cap.provider}"><td>${cap.provider}</td>
<td>${money(cap.spentUsd)}${Number(cap.reservedUsd) > 0 && html` (+${money(cap.reservedUsd)} reserved)`}</td>
<td>${limit === null ? (cap.limitSet ? 'unlimited' : 'no cap set: spends nothing') : money(cap.limitUsd)}</td>
<td>${limit !== null && limit > 0 ? html`<meter class="budget" min="0" max="${limit}" low="${limit * 0.8}" high="${limit * 0.99}" optimum="0" value="${Math.min(spent, limit)}">${Math.round((spent / limit) * 100)}%</meter> ${Math.round((spent / limit) * 100)}%` : ''}</td></tr>`;
}

/** GET /ui/costs: a month of the ledger by provider, model, stage, document and key, with budget bars. */
export function costsPage(context: ApiContext) {
  const { runtime, sessions } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { month?: string } }>(
      `${WEB_PREFIX}/costs`,
      pageOptions('read', { month: 7 }),
      async (request, reply) => {
        const current = utcMonth(new Date());
        const month = MONTH.test(request.query.month ?? '') ? (request.query.month as string) : current;
        // The same report as GET /v1/costs: a scoped key sees only calls for its bases' documents.
        const knowledgeBases = knowledgeBaseScope(request.principal);
        const [total, ...groups] = await Promise.all([
          monthlyCosts(runtime.pool, { month, groupBy: [], knowledgeBases }),
          ...GROUPS.map(({ group }) =>
            monthlyCosts(runtime.pool, { month, groupBy: [group], knowledgeBases }),
          ),
        ]);
        const documentIds = groups[GROUPS.findIndex(({ group }) => group === 'document')]
          ?.map((row) => row.document)
          .filter((id): id is string => typeof id === 'string');
        const { rows: names } = await runtime.pool.query<{ id: string; display_name: string }>(
          'SELECT id, display_name FROM documents WHERE id = ANY($1)',
          [documentIds ?? []],
        );
        const nameOf = new Map(names.map((row) => [row.id, row.display_name]));
        // Caps are provider-wide (every base's spend): not for keys scoped to some bases.
        const caps =
          knowledgeBases === undefined && month === current
            ? await createBudgetCaps({ pool: runtime.pool }).list()
            : undefined;
        const label = (group: CostGroup, value: string | null | undefined): SafeHtml | string => {
          if (value === null || value === undefined) return '(none)';
          if (group === 'document')
            return html`<a href="${documentPagePath(value)}">${nameOf.get(value) ?? value}</a>`;
          return value;
        };
        const body = html`
<h1>Costs · ${month}</h1>
<p class="month-nav"><a href="${WEB_PREFIX}/costs${queryString({ month: shiftMonth(month, -1) })}">← ${shiftMonth(month, -1)}</a>
${month !== current && html` · <a href="${WEB_PREFIX}/costs${queryString({ month: shiftMonth(month, 1) })}">${shiftMonth(month, 1)} →</a>`}</p>
<p class="total" id="costs-total">Total: ${money(total[0]?.costUsd)} in ${total[0]?.requests ?? 0} model call(s)${knowledgeBases && ` (knowledge bases ${knowledgeBases.join(', ')})`}</p>
<section id="budgets"><h2>Budgets (${current})</h2>${
          caps === undefined
            ? html`<p class="muted">${knowledgeBases ? 'Budget caps cover every knowledge base; a scoped key does not see them.' : `Budget bars show the current month (${current}).`}</p>`
            : html`<table class="budgets"><thead><tr><th>Provider</th><th>Spent</th><th>Cap</th><th></th></tr></thead><tbody>${caps.map(budgetRow)}</tbody></table>`
        }</section>
<div class="cost-groups">${GROUPS.map(
          ({ group, title }, index) =>
            html`<section class="cost-group" id="costs-by-${group}"><h2>${title}</h2>${
              (groups[index] ?? []).length === 0
                ? html`<p class="muted">Nothing this month.</p>`
                : html`<table><thead><tr><th>${group}</th><th>Requests</th><th>Tokens in / out</th><th>Cost</th></tr></thead><tbody>${(
                    groups[index] ?? []
                  ).map(
                    (row) =>
                      html`<tr><td>${label(group, row[group])}</td><td>${row.requests}</td><td>${row.inputTokens} / ${row.outputTokens}</td><td>${money(row.costUsd)}</td></tr>`,
                  )}</tbody></table>`
            }</section>`,
        )}</div>`;
        return sendPage(request, reply, sessions, { title: `Costs ${month}`, section: 'costs', body });
      },
    );
  };
}
