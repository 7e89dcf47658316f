import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A series selector found in a PromQL expression: the metric name and the label names it matches on. */
export interface Selector {
  metric: string;
  labels: string[];
}

/** Words of PromQL that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric selectors of a PromQL expression. Small on purpose, for the expressions we write: drops string
 * literals, range/subquery brackets, grouping clauses (`by (le, provider)`) and function calls, and keeps every
 * remaining identifier as a metric name with the label names of its `{...}` matchers.
 */
export function promqlSelectors(expr: string): Selector[] {
  const selectors: Selector[] = [];
  // Matchers first, while the braces still sit next to their metric name.
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  rest = rest.replace(
    /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g,
    (_match, metric: string | undefined, body) => {
      const labels = String(body)
        .split(',')
        .map((part) => part.trim().match(/^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/)?.[1])
        .filter((label): label is string => label !== undefined);
      // A bare `{__name__=...}` selector is not used here; a matcher block always follows its metric name.
      if (metric !== undefined) selectors.push({ metric, labels });
      return ' ';
    },
  );
  rest = rest
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, '(');
  for (const match of rest.matchAll(/(?<![0-9.])\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g)) {
    const word = match[0];
    if (KEYWORDS.has(word.toLowerCase())) continue;
    // Numbers and durations (0.95, 5m, 1e3) start with a digit or dot and are skipped by the lookbehind.
    selectors.push({ metric: word, labels: [] });
  }
  return selectors;
}

interface GrafanaPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: GrafanaPanel[];
}

/** Every PromQL expression of the dashboard, with the panel title it comes from. */
export function dashboardExpressions(file = path.join(REPO_ROOT, 'deploy/grafana/dashboards/aegis.json')) {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels?: GrafanaPanel[] };
  const found: { where: string; expr: string }[] = [];
  const walk = (panels: GrafanaPanel[] | undefined): void => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? [])
        if (target.expr !== undefined) found.push({ where: `panel "${panel.title}"`, expr: target.expr });
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return found;
}

/** Every PromQL expression of the alert rules, with the alert name. */
export function alertExpressions(file = path.join(REPO_ROOT, 'deploy/prometheus/alerts.yml')) {
  const rules = parse(readFileSync(file, 'utf8')) as {
    groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, expr: String(rule.expr) })),
  );
}
