import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '@aegis/api';
import { loadConfig } from '@aegis/config';
import { monthlyCosts } from '@aegis/llm-router';
import { searchDocuments } from '@aegis/pipeline';
import { createApiKeyStore, getDocumentStatus, resolveApiKeyPepper } from '@aegis/stores';
import { startProviderSimulator } from '@aegis/testkit';
import { startWatcher } from '@aegis/watcher';
import { createAppLogger, startWorkerRuntime } from '@aegis/worker';
import { simulatedProviderEnv } from '../simulated-env.ts';
import { cleanupOnInterrupt, createDemoSandbox, DemoResources, type DemoSandbox } from './demo-sandbox.ts';

/** The shared corpus beside the project, when this checkout has one. */
const SHARED_CORPUS = fileURLToPath(new URL('../../../../../shared/corpus/real/', import.meta.url));

const SAMPLES: Record<string, string> = {
  'tracing-jits.md':
    '# Tracing JIT compilers\n\nAndreas Gal and Michael Franz described trace trees at UC Irvine. TraceMonkey brought tracing to Firefox at Mozilla.\n\n## Type specialisation\n\nA trace records the types seen on a hot loop, so the compiled code needs no boxing.',
  'compilers-history.txt':
    'Grace Hopper wrote the A-0 compiler for the UNIVAC I. John Backus led the FORTRAN team at IBM, and Frances Allen worked on program optimisation at IBM Research.',
};

/**
 * `npm run demo`: with only Redis and Postgres, starts the provider simulator, the workers, the HTTP API and the
 * watcher, drops the sample corpus into the inbox, and prints what came out and where to look. The models are
 * simulated and says so; everything else (queues, stores, budgets, ledger, metrics) is the real system.
 */
export async function runDemo(values: { exit?: boolean; corpus?: string; port: string }): Promise<void> {
  const corpusDir = values.corpus ?? (existsSync(SHARED_CORPUS) ? SHARED_CORPUS : undefined);
  const base = loadConfig(process.env);
  // Everything the demo writes lives in its sandbox and goes with it: Ctrl-C, SIGTERM or a closed pipe included.
  const sandbox = await createDemoSandbox({ databaseUrl: base.database.url, redisUrl: base.redis.url });
  const resources = new DemoResources();
  const stop = async (): Promise<void> => {
    await resources.closeAll();
    await sandbox.teardown();
  };
  const removeHandlers = cleanupOnInterrupt(stop);
  console.log(
    `Sandbox ${sandbox.id}: Postgres schema ${sandbox.schema}, queue prefix ${sandbox.queuePrefix}, folder ${sandbox.dir} (all removed when the demo ends)`,
  );
  try {
    await showDemo(values, corpusDir, sandbox, resources);
  } catch (error) {
    removeHandlers();
    await stop();
    throw error;
  }
  if (values.exit) {
    removeHandlers();
    await stop();
    return;
  }
  console.log('\nRunning until Ctrl-C (which removes the sandbox); drop more files into the watched folder.');
  // The interrupt handlers clean up and exit.
  await new Promise<never>(() => {});
}

/** The demo itself, inside its sandbox; whatever it starts is owned by `resources` (closed in reverse order). */
async function showDemo(
  values: { port: string },
  corpusDir: string | undefined,
  sandbox: DemoSandbox,
  resources: DemoResources,
): Promise<void> {
  const sim = await resources.own(startProviderSimulator(), (started) => started.close());
  const config = loadConfig({
    ...process.env,
    ...simulatedProviderEnv(sim),
    ...sandbox.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
  });
  const logger = createAppLogger(config, { name: 'aegis-demo' });
  console.log(
    `NOTE: the models are SIMULATED (provider simulator at ${sim.url}), except embeddings: the in-process GloVe model computes real word vectors; queues, stores, budgets, ledger and metrics are real.\n`,
  );

  const runtime = await resources.own(startWorkerRuntime({ config, logger, migrate: false }), (started) =>
    started.close(),
  );
  const app = await resources.own(buildApp({ config, runtime, logger }), (built) => built.close());
  const port = Number(values.port);
  await app.listen({ host: '127.0.0.1', port }).catch(() => app.listen({ host: '127.0.0.1', port: 0 }));
  const apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const { pepper } = resolveApiKeyPepper({
    pepper: config.api.apiKeyPepper,
    isProduction: config.isProduction,
  });
  const { key: adminKey } = await createApiKeyStore({ pool: runtime.pool, pepper }).create('demo-admin', [
    'admin',
  ]);

  const inbox = config.watcher.inboxDir;
  const moved = new Map<
    string,
    { outcome: string; code?: string | undefined; documentId: string | null; version: number | null }
  >();
  let expected = 0;
  let allMoved!: () => void;
  const done = new Promise<void>((resolve) => {
    allMoved = resolve;
  });
  const watcher = startWatcher({
    runtime,
    inboxDir: inbox,
    stableMs: 300,
    logger,
    onEvent: (event) => {
      if (event.type !== 'moved') return;
      moved.set(path.basename(event.path), {
        outcome: event.outcome,
        code: event.code,
        documentId: event.documentId,
        version: event.version,
      });
      console.log(
        `  ${path.basename(event.path)} -> ${event.outcome}${event.code ? ` (${event.code})` : ''}`,
      );
      if (moved.size >= expected) allMoved();
    },
  });
  await resources.own(
    watcher.ready.then(() => watcher),
    (started) => started.close(),
  );

  await mkdir(inbox, { recursive: true });
  if (corpusDir) {
    const files = (await readdir(corpusDir)).filter((file) => !file.startsWith('.'));
    expected = files.length;
    console.log(`Dropping ${files.length} files from ${corpusDir} into the watched folder ${inbox} ...`);
    for (const file of files) await copyFile(path.join(corpusDir, file), path.join(inbox, file));
  } else {
    expected = Object.keys(SAMPLES).length;
    console.log(
      `No corpus folder here; dropping ${expected} sample documents into the watched folder ${inbox} ...`,
    );
    for (const [file, text] of Object.entries(SAMPLES)) await writeFile(path.join(inbox, file), text);
  }
  await done;

  console.log('\nWhat came out:');
  const rows = [];
  for (const [file, result] of moved) {
    if (!result.documentId || result.version === null) {
      rows.push({
        file,
        status: result.outcome,
        code: result.code ?? '',
        pages: 0,
        chunks: 0,
        entities: 0,
        costUsd: '0',
      });
      continue;
    }
    const status = await getDocumentStatus(runtime.pool, result.documentId);
    const chunks = await runtime.pipeline.repository.loadChunks(result.documentId, result.version);
    const graph = await runtime.pipeline.graph.counts({
      documentId: result.documentId,
      version: result.version,
    });
    rows.push({
      file,
      status: status?.versions[0]?.status ?? result.outcome,
      code: result.code ?? '',
      pages: status?.versions[0]?.pageCount ?? 0,
      chunks: chunks.length,
      entities: graph.entities,
      costUsd: status?.costUsd ?? '0',
    });
  }
  console.table(rows);
  const costs = await monthlyCosts(runtime.pool, { groupBy: ['provider', 'task'] });
  console.log('LLM spend this month by provider and task (from the ledger):');
  console.table(
    costs.map((row) => ({
      provider: row.provider,
      task: row.task,
      requests: row.requests,
      costUsd: row.costUsd,
    })),
  );
  const search = await searchDocuments(runtime.pipeline, {
    query: 'tracing compiler',
    limit: 3,
    attribution: { userId: 'demo' },
  });
  console.log('Search "tracing compiler":');
  for (const hit of search.hits)
    console.log(
      `  ${hit.score.toFixed(3)} ${hit.source} p.${hit.pageStart}: ${hit.text.replace(/\s+/g, ' ').slice(0, 100)}`,
    );

  console.log(`\nWhere to look (models SIMULATED):
  API docs        ${apiUrl}/docs                 (Authorization: Bearer <key>)
  Bull Board      ${apiUrl}/admin/queues         (log in with the admin key below)
  Metrics         ${apiUrl}/metrics              (admin key or METRICS_TOKEN)
  Admin key       ${adminKey}
  Costs           ${apiUrl}/v1/costs?by=document,stage   (the sandbox's ledger)
  Watched folder  ${inbox}`);
}
