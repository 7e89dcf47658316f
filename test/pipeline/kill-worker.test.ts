import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { progressChannel } from '@aegis/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));

function startWorker(harness: PipelineHarness): ChildProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: { ...process.env, ...harness.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk}`));
  return child;
}

describe('kill -9 of a worker process during embedding', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    // This process only produces; the workers are separate processes that can be killed.
    harness = await createPipelineHarness({
      startWorkers: false,
      env: {
        LLM_EMBED_BATCH_SIZE: '4',
        WORKER_LOCK_DURATION_MS: '2000',
        MIGRATE_ON_START: 'false',
        CHUNK_TARGET_TOKENS: '64',
        CHUNK_MAX_TOKENS: '128',
        CHUNK_OVERLAP_TOKENS: '8',
      },
    });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await harness.close();
  });

  it('the document still completes, points equal chunks, and finished batches are not billed twice', async () => {
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 150 });
    const text = `# Long notes\n\n${Array.from({ length: 40 }, (_, index) => `Paragraph ${index} about Alan Turing and the Manchester Mark 1 computer, written for chunking.`).join('\n\n')}`;
    const first = startWorker(harness);
    children.push(first);
    const registration = await harness.runtime.producer.ingest({
      data: new TextEncoder().encode(text),
      displayName: 'long-notes.md',
    });

    // Wait until the worker has finished two embedding batches, then kill it without warning.
    const listener = new Redis(harness.env.REDIS_URL as string);
    await listener.subscribe(progressChannel(harness.config.redis.queuePrefix));
    await new Promise<void>((resolve) => {
      listener.on('message', (_channel: string, message: string) => {
        const event = JSON.parse(message) as { documentId: string; stage?: string; done?: number };
        if (event.documentId === registration.documentId && event.stage === 'embed' && (event.done ?? 0) >= 2)
          resolve();
      });
    });
    listener.disconnect();
    first.kill('SIGKILL');
    await once(first, 'exit');
    const finishedBeforeKill = (
      await harness.runtime.pipeline.repository.completedEmbedBatches(
        registration.documentId,
        registration.version,
      )
    ).size;
    expect(finishedBeforeKill).toBeGreaterThanOrEqual(2);

    const second = startWorker(harness);
    children.push(second);
    expect(
      await harness.waitForVersion(registration.documentId, registration.version, undefined, 120_000),
    ).toBe('completed');

    const { pipeline } = harness.runtime;
    const chunks = await pipeline.repository.loadChunks(registration.documentId, registration.version);
    const batches = Math.ceil(chunks.length / 4);
    expect(chunks.length).toBeGreaterThan(8);
    expect(await pipeline.vectors.count({ documentId: registration.documentId })).toBe(chunks.length);
    const { rows } = await harness.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM llm_ledger WHERE document_id = $1 AND task = 'embedding' AND status = 'ok'",
      [registration.documentId],
    );
    // Every batch once, plus at most the one that was in flight when the worker died (its result was lost).
    expect(rows[0]?.n).toBeGreaterThanOrEqual(batches);
    expect(rows[0]?.n).toBeLessThanOrEqual(batches + 1);
    // Graceful shutdown: SIGTERM finishes active work, closes connections and exits 0.
    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code).toBe(0);
  });
});
