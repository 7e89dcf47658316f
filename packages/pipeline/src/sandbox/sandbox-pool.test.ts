import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isAegisError } from '@aegis/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readProcessMemory } from './process-memory.ts';
import type { SandboxPoolOptions } from './sandbox-options.ts';
import { createSandboxPool, type SandboxEvent, type SandboxPool } from './sandbox-pool.ts';

const MIB = 1024 * 1024;
const FIXTURE = new URL('./sandbox-test-child.fixture.ts', import.meta.url);
const codeOf = (error: unknown): string => (isAegisError(error) ? error.code : `crash: ${String(error)}`);

type Run = (
  op: string,
  request?: unknown,
  options?: { stepTimeoutMs?: number; signal?: AbortSignal },
) => Promise<unknown>;
interface TestPool {
  pool: SandboxPool;
  run: Run;
  events: SandboxEvent[];
}

const pools: SandboxPool[] = [];
/** A pool over the misbehaving test entry; `run` takes its operations by name. */
function testPool(options: SandboxPoolOptions = {}): TestPool {
  const events: SandboxEvent[] = [];
  const pool = createSandboxPool({
    entry: FIXTURE,
    memoryLimitMb: 384,
    heapLimitMb: 192,
    onEvent: (event) => events.push(event),
    ...options,
  });
  pools.push(pool);
  const run: Run = (op, request = {}, runOptions) =>
    (pool.run as unknown as (op: string, request: unknown, options?: unknown) => Promise<unknown>)(
      op,
      request,
      runOptions,
    );
  return { pool, run, events };
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('createSandboxPool', () => {
  it('reuses its process: later tasks start none', async () => {
    const { pool, run } = testPool();
    const pids = [await run('pid'), await run('pid'), await run('pid')];
    expect(new Set(pids).size).toBe(1);
    expect(pids[0]).not.toBe(process.pid);
    expect(pool.stats()).toMatchObject({
      processesStarted: 1,
      processesAlive: 1,
      tasksRun: 3,
      processesKilled: 0,
    });
  });

  it('gives the process no environment of ours: no secret reaches a parser', async () => {
    process.env.AEGIS_TEST_SECRET = 'sk-must-not-leak';
    try {
      const { run } = testPool();
      expect(await run('env')).toEqual(['MALLOC_ARENA_MAX']);
    } finally {
      delete process.env.AEGIS_TEST_SECRET;
    }
  });

  it('queues concurrent tasks FIFO on one process; all complete in order', async () => {
    const { pool, run } = testPool({ size: 1 });
    const order: number[] = [];
    const runs = [0, 1, 2, 3].map((i) =>
      run('echo', { text: `task ${i}` }).then((value) => {
        order.push(i);
        return value;
      }),
    );
    expect(pool.stats()).toMatchObject({ queued: 4 });
    expect(await Promise.all(runs)).toEqual(['task 0', 'task 1', 'task 2', 'task 3']);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(pool.stats()).toMatchObject({ processesStarted: 1, tasksRun: 4, running: 0, queued: 0 });
  });

  it('runs up to `size` processes at once', async () => {
    const { pool, run } = testPool({ size: 2 });
    const pids = await Promise.all(
      [0, 1, 2, 3].map(() => run('steps', { count: 2, ms: 100 }).then(() => run('pid'))),
    );
    expect(new Set(pids).size).toBeLessThanOrEqual(2);
    expect(pool.stats().processesStarted).toBe(2);
  });

  it('keeps a process after a parser error or a guard refusal, replaces it after an allocation failure', async () => {
    const { pool, run } = testPool();
    const first = await run('pid');
    expect(await run('fail', { code: 'PDF_INVALID' }).catch(codeOf)).toBe('PDF_INVALID');
    expect(await run('pid')).toBe(first);
    expect(await run('fail', { code: 'RESOURCE_LIMIT_EXCEEDED' }).catch(codeOf)).toBe(
      'RESOURCE_LIMIT_EXCEEDED',
    );
    expect(await run('pid')).toBe(first);
    expect(await run('huge', { mb: 4_000 }).catch(codeOf)).toBe('RESOURCE_LIMIT_EXCEEDED');
    expect(await run('pid')).not.toBe(first);
    expect(pool.stats()).toMatchObject({ processesStarted: 2, processesKilled: 1 });
  });

  it('retires a process after maxTasksPerProcess tasks', async () => {
    const { pool, run, events } = testPool({ maxTasksPerProcess: 2 });
    for (const text of ['a', 'b', 'c']) await run('echo', { text });
    expect(pool.stats()).toMatchObject({
      processesStarted: 2,
      tasksRun: 3,
      processesKilled: 0,
      processesRetired: 1,
    });
    await expect
      .poll(() => events.filter((e) => e.type === 'exited' && e.reason === 'retired').length, {
        timeout: 30_000,
      })
      .toBe(1);
  });

  it('retires a process a task left above recycleRssMb: its memory goes back to the OS', async () => {
    const { pool, run, events } = testPool({ recycleRssMb: 160 });
    const pid = (await run('pid')) as number;
    await run('retain', { mb: 200 });
    await expect
      .poll(() => events.some((e) => e.type === 'exited' && e.pid === pid), { timeout: 30_000 })
      .toBe(true);
    expect(readProcessMemory(pid)).toBeUndefined();
    expect(await run('pid')).not.toBe(pid);
    expect(pool.stats()).toMatchObject({ processesRetired: 1, processesKilled: 0 });
  });

  it('ends an idle process after idleTimeoutMs', async () => {
    const { pool, run } = testPool({ idleTimeoutMs: 50 });
    await run('echo', { text: 'idle soon' });
    await expect.poll(() => pool.stats().processesAlive, { timeout: 30_000 }).toBe(0);
    expect(await run('echo', { text: 'back' })).toBe('back');
    expect(pool.stats()).toMatchObject({ processesStarted: 2, processesAlive: 1 });
  });

  it('keeps warmProcesses alive past idleTimeoutMs and replaces a killed or retired one at once', async () => {
    const { pool, run, events } = testPool({ idleTimeoutMs: 50, warmProcesses: 1, size: 2 });
    expect(pool.stats().processesAlive).toBe(0); // nothing starts before the pool is used
    const pid = (await run('pid')) as number;
    // Two tasks at once: a second process starts; once idle it ends, the warm one stays.
    await Promise.all([run('steps', { count: 2, ms: 100 }), run('steps', { count: 2, ms: 100 })]);
    await expect.poll(() => pool.stats().processesAlive, { timeout: 30_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pool.stats().processesAlive).toBe(1);
    const warmPid = (await run('pid')) as number;
    expect(readProcessMemory(warmPid)).toBeDefined();
    // A crash takes the warm process: a replacement starts without waiting for a task.
    expect(await run('crash').catch(codeOf)).toBe('PARSER_CRASHED');
    await expect
      .poll(() => events.filter((e) => e.type === 'started').length, { timeout: 30_000 })
      .toBeGreaterThan(2);
    await expect.poll(() => pool.stats().processesAlive, { timeout: 30_000 }).toBe(1);
    expect(await run('pid')).not.toBe(warmPid);
    expect(pid).toBeGreaterThan(0);
  });

  it('a warm process that kept memory from its tasks is replaced by a fresh one once idle long enough', async () => {
    const { pool, run, events } = testPool({
      idleTimeoutMs: 50,
      warmProcesses: 1,
      recycleRssMb: 300,
      warmSwollenIdleMs: 300,
    });
    const pid = (await run('pid')) as number;
    await run('retain', { mb: 100 });
    await expect
      .poll(() => events.some((e) => e.type === 'exited' && e.pid === pid), { timeout: 30_000 })
      .toBe(true);
    await expect.poll(() => pool.stats().processesAlive, { timeout: 30_000 }).toBe(1);
    const fresh = (await run('pid')) as number;
    expect(fresh).not.toBe(pid);
    expect(readProcessMemory(pid)).toBeUndefined();
  });

  it("stats count the memory of a sandbox process's own children (the OCR engine)", async () => {
    const { pool, run } = testPool();
    const pid = (await run('pid')) as number;
    const childPid = (await run('child', { mb: 64 })) as number;
    const own = readProcessMemory(pid)?.rssBytes ?? 0;
    const child = readProcessMemory(childPid)?.rssBytes ?? 0;
    expect(child).toBeGreaterThan(64 * MIB);
    expect(pool.stats().rssBytes).toBeGreaterThanOrEqual(own + child - 8 * MIB);
    await pool.close();
    // A plain child outlives its killed parent (the OCR child watches its parent; this one does not).
    try {
      process.kill(childPid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  });

  it('a step timer restarts on each step; a step that never ends is killed (EXTRACTION_TIMEOUT)', async () => {
    const { pool, run } = testPool();
    await run('pid');
    expect(await run('steps', { count: 5, ms: 150 }, { stepTimeoutMs: 400 })).toBe(5);
    expect(await run('spin', {}, { stepTimeoutMs: 300 }).catch(codeOf)).toBe('EXTRACTION_TIMEOUT');
    expect(await run('echo', { text: 'next' })).toBe('next');
    expect(pool.stats()).toMatchObject({ processesStarted: 2, processesKilled: 1 });
  });

  it('the whole task has a wall-clock limit too, however often it steps', async () => {
    const { run } = testPool({ taskTimeoutMs: 500 });
    await run('pid');
    expect(await run('steps', { count: 100, ms: 50 }, { stepTimeoutMs: 400 }).catch(codeOf)).toBe(
      'EXTRACTION_TIMEOUT',
    );
  });

  it('aborting drops a queued task and kills a running one (CANCELLED); the pool goes on', async () => {
    const { pool, run } = testPool({ size: 1 });
    await run('pid');
    const running = new AbortController();
    const queued = new AbortController();
    const first = run('spin', {}, { signal: running.signal }).catch(codeOf);
    const second = run('echo', { text: 'queued' }, { signal: queued.signal }).catch(codeOf);
    queued.abort();
    running.abort();
    expect(await Promise.all([first, second])).toEqual(['CANCELLED', 'CANCELLED']);
    expect(await run('echo', { text: 'still works' })).toBe('still works');
    expect(pool.stats()).toMatchObject({ processesStarted: 2, processesKilled: 1 });
  });

  it('close() rejects queued and running tasks, ends every process, and refuses new ones', async () => {
    const { pool, run } = testPool({ size: 1 });
    const runs = [run('spin'), run('echo', { text: 'x' })].map((p) => p.catch(codeOf));
    await expect.poll(() => pool.stats().running, { timeout: 30_000 }).toBe(1);
    await pool.close();
    expect(await Promise.all(runs)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(pool.stats()).toMatchObject({ processesAlive: 0, running: 0, queued: 0 });
    expect(await run('echo', { text: 'late' }).catch(codeOf)).toBe('CANCELLED');
    await pool.close();
  });

  it('a process that cannot start fails one task with SANDBOX_UNAVAILABLE (retryable) per attempt, no loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-broken-'));
    const entry = join(dir, 'broken.mjs');
    writeFileSync(entry, 'process.exit(3);\n');
    try {
      const { pool, run } = testPool({ entry });
      const outcomes = await Promise.all([run('echo'), run('echo')].map((p) => p.catch((e: unknown) => e)));
      for (const outcome of outcomes) {
        expect(codeOf(outcome)).toBe('SANDBOX_UNAVAILABLE');
        expect((outcome as { retryable: boolean }).retryable).toBe(true);
      }
      expect(pool.stats()).toMatchObject({ processesAlive: 0, queued: 0 });
      expect(pool.stats().processesStarted).toBeLessThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an idle pool does not keep its parent alive, and close() lets it exit at once', async () => {
    const script = `
      import { createSandboxPool } from ${JSON.stringify(new URL('./sandbox-pool.ts', import.meta.url).href)};
      const pool = createSandboxPool({ entry: new URL(${JSON.stringify(FIXTURE.href)}), idleTimeoutMs: 60_000 });
      console.log(await pool.run('echo', { text: 'exit please' }));
      if (process.argv.includes('--close')) await pool.close();
    `;
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-exit-'));
    const file = join(dir, 'exit.mjs');
    writeFileSync(file, script);
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [file, ...args], {
        timeout: 20_000,
        cwd: fileURLToPath(new URL('.', import.meta.url)),
      });
    try {
      const [unclosed, closed] = await Promise.all([run(), run('--close')]);
      expect(unclosed.stdout.trim()).toBe('exit please');
      expect(closed.stdout.trim()).toBe('exit please');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createSandboxPool memory limits', () => {
  const limitMb = 384;

  it.each([
    ['native memory in 16 MiB chunks (zlib, libvips)', 'native', { mb: 4_000, chunkMb: 16 }],
    ['native memory in 1 MiB chunks', 'native', { mb: 4_000, chunkMb: 1 }],
    ['one allocation of 4 GB (a trusted declared size)', 'huge', { mb: 4_000 }],
    ['the V8 heap', 'heap', {}],
  ])('%s ends RESOURCE_LIMIT_EXCEEDED under the cap; the next task runs', async (_what, op, request) => {
    const { pool, run } = testPool({ memoryLimitMb: limitMb });
    const pid = await run('pid');
    expect(await run(op, request).catch(codeOf)).toBe('RESOURCE_LIMIT_EXCEEDED');
    expect(pool.stats().peakRssBytes).toBeLessThanOrEqual(limitMb * MIB);
    expect(await run('pid')).not.toBe(pid);
    expect(pool.stats()).toMatchObject({ processesKilled: 1, processesAlive: 1 });
  });

  it('a native crash ends PARSER_CRASHED, not a memory code', async () => {
    const { run } = testPool();
    expect(await run('crash').catch(codeOf)).toBe('PARSER_CRASHED');
    expect(await run('echo', { text: 'after the crash' })).toBe('after the crash');
  });

  it('every task of any mix ends with its code, within the process bound, and the pool serves on (model)', async () => {
    // Model: what each operation must end with. Sizes and order are random; the pool must keep its bounds.
    const ops = {
      echo: { request: { text: 'ok' }, expected: 'ok' },
      fail: { request: { code: 'PDF_INVALID' }, expected: 'PDF_INVALID' },
      crash: { request: {}, expected: 'PARSER_CRASHED' },
      huge: { request: { mb: 2_000 }, expected: 'RESOURCE_LIMIT_EXCEEDED' },
      native: { request: { mb: 2_000, chunkMb: 32 }, expected: 'RESOURCE_LIMIT_EXCEEDED' },
      spin: { request: {}, expected: 'EXTRACTION_TIMEOUT' },
    } as const;
    // Only the spinning task is meant to time out; a loaded machine must not turn the others into timeouts.
    const stepTimeoutMs = (op: keyof typeof ops): number => (op === 'spin' ? 1_500 : 120_000);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.constantFrom(...(Object.keys(ops) as (keyof typeof ops)[])), {
          minLength: 1,
          maxLength: 6,
        }),
        async (size, script) => {
          const { pool, run } = testPool({ size, memoryLimitMb: 256, heapLimitMb: 128 });
          let maxAlive = 0;
          const outcomes = await Promise.all(
            script.map((op) =>
              run(op, ops[op].request, { stepTimeoutMs: stepTimeoutMs(op) }).then(
                (value) => {
                  maxAlive = Math.max(maxAlive, pool.stats().processesAlive);
                  return value;
                },
                (error: unknown) => {
                  maxAlive = Math.max(maxAlive, pool.stats().processesAlive);
                  return codeOf(error);
                },
              ),
            ),
          );
          expect(outcomes).toEqual(script.map((op) => ops[op].expected));
          expect(maxAlive).toBeLessThanOrEqual(size);
          expect(pool.stats().peakRssBytes).toBeLessThanOrEqual(256 * MIB);
          expect(await run('echo', { text: 'serves on' })).toBe('serves on');
          expect(pool.stats()).toMatchObject({ running: 0, queued: 0, tasksRun: script.length + 1 });
          await pool.close();
        },
      ),
      { numRuns: 8 },
    );
  }, 240_000);
});
