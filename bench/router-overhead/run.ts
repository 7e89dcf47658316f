/**
 * bench/router-overhead: the latency `@aegis/llm-router` adds over a direct `openai` SDK call, next to what the
 * Portkey AI gateway adds, against the same zero-latency provider simulator, at concurrency 1 and 32, with the
 * real ledger on (Postgres budget reservations + write-behind ledger, Redis circuit breaker).
 *
 * Run: `npm run bench:router-overhead` (or `npx node bench/router-overhead/run.ts`). Flags: --quick (smoke
 * run), --no-breakdown, --out FILE. Needs Postgres (AEGIS_TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test) and Redis (AEGIS_TEST_REDIS_URL, default redis://127.0.0.1:6379).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { GenerateRequest } from '@aegis/llm-router';
import OpenAI from 'openai';
import { type BreakdownPlan, type BreakdownResult, runBreakdown } from './breakdown.ts';
import { type ComparePlan, type CompareResult, compareModes, type Mode } from './compare.ts';
import { API_KEY, MODEL, startEnvironment } from './environment.ts';
import type { Call } from './load.ts';
import { machineInfo } from './machine.ts';
import { breakdownTable, compareTable } from './report.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-breakdown': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});

// Sized so the whole run (both concurrencies, breakdown included) stays under ~3 minutes on 2 cores.
const PLANS: Array<Omit<ComparePlan, 'betweenRounds'>> = flags.quick
  ? [
      { concurrency: 1, warmup: 100, rounds: 2, block: 100 },
      { concurrency: 32, warmup: 200, rounds: 2, block: 200 },
    ]
  : [
      { concurrency: 1, warmup: 1_000, rounds: 20, block: 200 },
      { concurrency: 32, warmup: 2_000, rounds: 12, block: 1_000 },
    ];
const BREAKDOWN_PLANS: BreakdownPlan[] = flags.quick
  ? [
      { concurrency: 1, warmup: 100, rounds: 2, block: 100 },
      { concurrency: 32, warmup: 200, rounds: 2, block: 200 },
    ]
  : [
      { concurrency: 1, warmup: 500, rounds: 8, block: 250 },
      { concurrency: 32, warmup: 1_000, rounds: 5, block: 1_000 },
    ];

const PROMPT = 'Summarise in one sentence why retrieval-augmented generation needs a cost ledger.';
const MAX_TOKENS = 64;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

function checkReply(text: string | null | undefined, mode: string): void {
  if (typeof text !== 'string' || text.length === 0)
    throw new Error(`${mode}: empty reply from the simulator`);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const env = await startEnvironment();
  try {
    const machine = await machineInfo(env.db.pool, env.redis.redis);
    const messages = [{ role: 'user' as const, content: PROMPT }];
    // Same SDK, same settings the router's adapter uses (no SDK retries), so only the layer in between differs.
    const directClient = new OpenAI({ apiKey: API_KEY, baseURL: env.openaiBaseUrl, maxRetries: 0 });
    const portkeyClient = new OpenAI({
      apiKey: API_KEY,
      baseURL: `${env.gatewayUrl}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': env.openaiBaseUrl },
    });
    const body = { model: MODEL, messages, max_tokens: MAX_TOKENS };
    const request: GenerateRequest = { task: 'generation', messages, maxOutputTokens: MAX_TOKENS };
    const { router, accounting } = await env.makeRouter();
    let routerCalls = 0;

    const direct: Call = () => directClient.chat.completions.create(body);
    const modes: Mode[] = [
      { name: 'direct', call: direct },
      {
        name: 'router',
        call: () => {
          routerCalls += 1;
          return router.generate(request);
        },
        afterBlock: () => accounting.flush(),
      },
      { name: 'portkey', call: () => portkeyClient.chat.completions.create(body) },
    ];

    // One checked call per mode first: a misrouted gateway or a refused budget must fail loudly, not look fast.
    checkReply((await directClient.chat.completions.create(body)).choices[0]?.message.content, 'direct');
    routerCalls += 1;
    const first = await router.generate(request);
    checkReply(first.text, 'router');
    if (
      first.attempts.length !== 1 ||
      first.usage.source !== 'provider' ||
      first.costUsd === '0.000000000000'
    ) {
      throw new Error(`router: unexpected first call ${JSON.stringify(first.attempts)}`);
    }
    checkReply((await portkeyClient.chat.completions.create(body)).choices[0]?.message.content, 'portkey');

    const comparisons: CompareResult[] = [];
    for (const plan of PLANS) {
      const result = await compareModes(modes, { ...plan, betweenRounds: env.resetSimulator });
      comparisons.push(result);
      console.log(`\n${compareTable(result)}`);
    }

    const breakdowns: BreakdownResult[] = [];
    if (!flags['no-breakdown']) {
      for (const plan of BREAKDOWN_PLANS) {
        breakdowns.push(
          await runBreakdown(env, direct, request, plan, () => {
            routerCalls += 1;
          }),
        );
      }
      console.log(`\nBreakdown (ms, instrumented router):\n\n${breakdownTable(breakdowns)}`);
    }

    // "Ledger on" must have been real: every router call wrote one ledger row, and closing the routers settled
    // every reservation and released every budget lease.
    await env.closeRouters();
    const ledger = await env.db.pool.query<{
      rows: string;
      ok: string;
      open_reservations: string;
      open_intents: string;
    }>(
      `select (select count(*) from llm_ledger) as rows,
              (select count(*) from llm_ledger where status = 'ok') as ok,
              (select count(*) from llm_budget_reservations) as open_reservations,
              (select count(*) from llm_call_intents) as open_intents`,
    );
    const counts = ledger.rows[0];
    const ledgerCheck = {
      routerCalls,
      ledgerRows: Number(counts?.rows),
      okRows: Number(counts?.ok),
      openReservations: Number(counts?.open_reservations),
      // Every call wrote its intent before dispatch (ADR 016); its ledger row settled it.
      openIntents: Number(counts?.open_intents),
      droppedRows: accounting.droppedRows(),
      passed: false,
    };
    ledgerCheck.passed =
      ledgerCheck.ledgerRows === routerCalls &&
      ledgerCheck.okRows === routerCalls &&
      ledgerCheck.openReservations === 0 &&
      ledgerCheck.openIntents === 0;
    console.log(`\nledger check: ${JSON.stringify(ledgerCheck)}`);

    const goals = comparisons.map((result) => ({
      concurrency: result.concurrency,
      addedP50Under1ms: result.added.router.p50 < 1,
      addedP99Under3ms: result.added.router.p99 < 3,
      belowPortkeyP50: result.added.router.p50 < result.added.portkey.p50,
      belowPortkeyP99: result.added.router.p99 < result.added.portkey.p99,
    }));
    console.log(`goals: ${JSON.stringify(goals)}`);

    const run = {
      machine,
      quick: flags.quick,
      request: { model: MODEL, messages: 1, promptChars: PROMPT.length, maxTokens: MAX_TOKENS },
      simulator: { latencyMs: 0, process: 'separate child' },
      portkey: {
        process: 'separate child',
        flags: ['--headless'],
        routing: 'x-portkey-provider + x-portkey-custom-host',
      },
      comparisons,
      breakdowns,
      ledger: ledgerCheck,
      goals,
      durationSec: Math.round((performance.now() - startedAt) / 100) / 10,
    };
    const out = await saveRun(run, machine.date);
    console.log(`\nresults: ${relative(repoRoot, out)} (${run.durationSec} s)`);
    if (!ledgerCheck.passed) process.exitCode = 1;
  } finally {
    await env.close();
  }
}

/** Runs of the same day accumulate in one file, so the variance between runs stays visible. */
async function saveRun(run: object, isoDate: string): Promise<string> {
  const out = flags.out ?? join(here, '..', 'results', `router-overhead-${isoDate.slice(0, 10)}.json`);
  let runs: unknown[] = [];
  if (existsSync(out)) {
    const previous = JSON.parse(await readFile(out, 'utf8')) as { benchmark?: string; runs?: unknown[] };
    if (previous.benchmark === 'router-overhead' && Array.isArray(previous.runs)) runs = previous.runs;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ benchmark: 'router-overhead', runs: [...runs, run] }, null, 2)}\n`,
  );
  return out;
}

await main();
