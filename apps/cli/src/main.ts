#!/usr/bin/env node
import { isAegisError } from '@aegis/core';
import { runCosts } from './commands/costs.ts';
import { runDemo } from './commands/demo.ts';
import { runDoctor } from './commands/doctor.ts';
import { runCancel, runRetry, runSearch, runStatus } from './commands/documents.ts';
import { runIngest } from './commands/ingest.ts';
import { runKeys } from './commands/keys.ts';
import { runLlmDemo } from './commands/llm-demo.ts';
import { runMigrate } from './commands/migrate.ts';

const COMMANDS: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  ingest: { summary: 'register files, folders or globs and queue them: <path>... [--wait]', run: runIngest },
  status: {
    summary: "a document's stages, progress, warnings and cost: [documentId] [--json]",
    run: runStatus,
  },
  retry: {
    summary: 're-run a stage and the later ones: <documentId> [--stage STAGE] [--version N]',
    run: runRetry,
  },
  cancel: {
    summary: 'stop a document within one batch and remove its partial writes: <documentId>',
    run: runCancel,
  },
  search: {
    summary: 'vector search with pages and entities: <query> [--limit N] [--document ID] [--json]',
    run: runSearch,
  },
  doctor: {
    summary: 'check Redis, Postgres, stores, Ollama, provider keys and budgets, and say how to fix problems',
    run: runDoctor,
  },
  keys: {
    summary: 'API keys: create <name> --roles ingest,read,admin | list | revoke <keyId>',
    run: runKeys,
  },
  migrate: { summary: 'create the database if needed and apply pending migrations', run: runMigrate },
  costs: {
    summary:
      'LLM spend for a month: --month YYYY-MM --by provider,model,task,document --format table|csv|json',
    run: runCosts,
  },
  demo: {
    summary:
      'simulated models, real everything else: start workers, API and watcher, ingest the sample corpus [--exit]',
    run: runDemo,
  },
  'llm-demo': {
    summary: 'start the provider simulator and send a few calls through the router (simulated models)',
    run: runLlmDemo,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
  return `usage: aegis <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nConfiguration comes from the environment (see .env.example).`;
}

const [name, ...args] = process.argv.slice(2);
const command = name ? COMMANDS[name] : undefined;
if (!command) {
  console.error(name && name !== '--help' ? `unknown command "${name}"\n\n${usage()}` : usage());
  process.exitCode = name && name !== '--help' ? 2 : 0;
} else {
  try {
    await command.run(args);
  } catch (error) {
    const code = isAegisError(error) ? error.code : 'INTERNAL';
    console.error(`${code}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
