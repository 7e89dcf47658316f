import module from 'node:module';
import { isAegisError } from '@aegis/core';
import type { SandboxChildMessage, SandboxTaskMessage, SerializedError } from './sandbox-protocol.ts';
import type { SandboxTaskContext } from './sandbox-task-context.ts';

/** An operation as the serving loop sees it: untyped request in, structured-cloneable result out. */
export type ServedOperation = (request: never, context: SandboxTaskContext) => Promise<unknown>;

/** Allocation failures a parser may surface (or wrap) as an ordinary error: memory, not bad syntax. */
const OUT_OF_MEMORY =
  /Array buffer allocation failed|Failed to allocate memory|Invalid typed array length|Invalid array buffer length|Maximum call stack size exceeded|out of memory/i;

function serialize(error: unknown): SerializedError {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    if (OUT_OF_MEMORY.test(cause.message)) {
      return {
        code: 'RESOURCE_LIMIT_EXCEEDED',
        message: `Parsing the document exceeded the sandbox's memory or stack limit (${cause.message}).`,
        // The process may hold a half-built heap: the pool replaces it.
        details: { outOfMemory: true },
      };
    }
    cause = cause.cause;
  }
  return {
    code: isAegisError(error) ? error.code : undefined,
    message: error instanceof Error ? error.message : String(error),
    details: isAegisError(error) ? { ...error.details } : undefined,
  };
}

/** Turns on the V8 compile cache when the pool passed a folder (argv[2]): the next process starts faster. */
export function enableCompileCache(): void {
  const dir = process.argv[2];
  if (dir !== undefined && dir !== '') module.enableCompileCache(dir);
}

/**
 * The loop of a sandbox process: one task at a time from the parent, each answered with `result` or `error`.
 * Call it once the operations' modules are loaded: it reports `ready`, which is when the parent measures the
 * process and sets its memory limit.
 */
export function serveSandbox(operations: Readonly<Record<string, ServedOperation>>): void {
  const send = (message: SandboxChildMessage): void => {
    process.send?.(message);
  };
  // The parent is gone (crashed, killed): nobody waits for our results.
  process.on('disconnect', () => process.exit(0));
  // A parser that timed out internally may reject later, unobserved; that must not end the next task.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection in sandbox: ${String(reason)}\n`);
  });
  process.on('message', async ({ id, op, request }: SandboxTaskMessage) => {
    const handler = Object.hasOwn(operations, op) ? operations[op] : undefined;
    try {
      if (handler === undefined) throw new Error(`unknown sandbox operation "${op}"`);
      const value = await handler(request as never, { step: (step) => send({ type: 'step', id, step }) });
      send({ type: 'result', id, value, rssBytes: process.memoryUsage.rss() });
    } catch (error) {
      send({ type: 'error', id, error: serialize(error), rssBytes: process.memoryUsage.rss() });
    }
  });
  send({ type: 'ready', rssBytes: process.memoryUsage.rss() });
}
